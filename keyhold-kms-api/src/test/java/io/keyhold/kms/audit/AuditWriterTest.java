package io.keyhold.kms.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The queue and writer thread behind the durable audit sinks (AuditFile, AuditStore). */
class AuditWriterTest {
    private final List<String> writtenMessages = Collections.synchronizedList(new ArrayList<>());
    private final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
    private final List<String> lost = Collections.synchronizedList(new ArrayList<>());

    private static AuditEvent event(int n) {
        return AuditEvent.of(AuditEventType.KMS_CALL, "test").message("event " + n).build();
    }

    private void write(List<AuditEvent> batch) {
        batchSizes.add(batch.size());
        batch.forEach(e -> writtenMessages.add(e.message()));
    }

    private void lost(AuditEvent event, boolean closed) {
        lost.add(event.message() + (closed ? " (closed)" : " (full)"));
    }

    @Test
    void everyQueuedEventIsWrittenInOrderInBatchesNoLargerThanTheBatchSizeAndCloseWritesWhatIsStillQueued() {
        AuditWriter writer = new AuditWriter("audit-writer-test", 1_000, 7, this::write, this::lost);
        for (int i = 0; i < 100; i++) {
            writer.record(event(i));
        }
        writer.close();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            expected.add("event " + i);
        }
        assertThat(writtenMessages).containsExactlyElementsOf(expected);
        assertThat(batchSizes).allSatisfy(n -> assertThat(n).isBetween(1, 7));
        assertThat(lost).isEmpty();
        assertThat(writer.pending()).isZero();
    }

    @Test
    void aFullQueueLosesTheEventAtOnceAndSaysSo() throws Exception {
        CountDownLatch inWrite = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AuditWriter writer = new AuditWriter("audit-writer-test", 2, 10, batch -> {
            inWrite.countDown();
            release.await(); // the disk or database far behind
            write(batch);
        }, this::lost);
        writer.record(event(0));
        assertThat(inWrite.await(10, TimeUnit.SECONDS)).isTrue(); // the writer holds event 0
        writer.record(event(1));
        writer.record(event(2));
        long before = System.nanoTime();
        writer.record(event(3));
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("record never waits").isLessThan(Duration.ofSeconds(1));
        assertThat(lost).containsExactly("event 3 (full)");
        assertThat(writer.pending()).isEqualTo(2);
        release.countDown();
        writer.close();
        assertThat(writtenMessages).containsExactly("event 0", "event 1", "event 2");
    }

    @Test
    void anEventAfterCloseIsLostAsClosed() {
        AuditWriter writer = new AuditWriter("audit-writer-test", 10, 10, this::write, this::lost);
        writer.close();
        writer.record(event(0));
        assertThat(lost).containsExactly("event 0 (closed)");
        assertThat(writtenMessages).isEmpty();
    }
}
