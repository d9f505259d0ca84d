package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.assertUnavailable;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.ResilientKms;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.kms.testkit.KmsFakeAdmin.CanCauseOutages.Outage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The conformance tests of a provider whose admin can make the service misbehave (a fake; a real
 * service cannot be told to fail): an outage is "unavailable" (retry), never "denied" (lock), and a
 * hanging KMS makes no caller wait. Implement it on your {@link KmsConformanceSuite} subclass, whose
 * {@code admin()} then returns a {@link KmsFakeAdmin.CanCauseOutages}; the suite ends every outage
 * after each test, and {@code noKeyBytesInAnyTextOrError} also scans an outage's errors.
 */
public interface OutageConformance extends ConformanceContext {
    /** What the timeout test uses: 300 ms per attempt, 2 attempts. */
    RetryPolicy SHORT = new RetryPolicy(Duration.ofMillis(300), 2, Duration.ofMillis(1), Duration.ofMillis(5));

    @Override
    KmsFakeAdmin.CanCauseOutages admin();

    @Test
    default void anOutageAnsweringServiceUnavailableIsUnavailableNotDenied() {
        String ref = admin().createKey();
        GeneratedDek before = generate(ref, ORDERS);
        admin().outage(Outage.ERROR_503);
        Duration within = KmsAssertions.WAIT;
        assertUnavailable(kms().describe(ref), within);
        assertUnavailable(kms().generate(ref, ORDERS), within);
        assertUnavailable(kms().unwrap(before.kek(), before.edek(), ORDERS), within);
        assertUnavailable(kms().checkAccess(ref), within);
        admin().outage(Outage.NONE);
        assertUnwraps(before, ORDERS);
    }

    @Test
    default void aHangingKmsTimesOutAndNoCallWaitsForIt() {
        // A call must not wait for the KMS to return its stage. A blocking call would wait for the hang
        // (for ever, or at least one 300 ms attempt); the first call may also build a client, on a
        // loaded 2-core machine in ~100 ms: so well above that and well below an attempt.
        Duration returnsAtOnce = Duration.ofMillis(250);
        String ref = admin().createKey();
        GeneratedDek g = generate(ref, ORDERS);
        Kms bounded = new ResilientKms(raw(), SHORT); // not closed: it would close the connection the suite closes
        admin().outage(Outage.HANG);
        Map<String, Supplier<CompletionStage<?>>> calls = new LinkedHashMap<>();
        calls.put("describe", () -> bounded.describe(ref));
        calls.put("generate", () -> bounded.generate(ref, ORDERS));
        calls.put("unwrap", () -> bounded.unwrap(g.kek(), g.edek(), ORDERS));
        calls.put("checkAccess", () -> bounded.checkAccess(ref));
        calls.put("rotate", () -> bounded.rotate(ref));
        List<CompletionStage<?>> stages = new ArrayList<>();
        Duration slowest = Duration.ZERO;
        for (Map.Entry<String, Supplier<CompletionStage<?>>> call : calls.entrySet()) {
            long start = System.nanoTime();
            stages.add(call.getValue().get());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as(call.getKey() + " returned after").isLessThan(returnsAtOnce);
            slowest = took.compareTo(slowest) > 0 ? took : slowest;
        }
        System.out.println(raw().kind() + " KMS hanging: the slowest of " + calls.size() + " calls returned its stage after "
                + slowest.toNanos() / 1000 + " µs");
        // 2 attempts of 300 ms and a few ms of backoff; generous for a loaded machine, far below a hang
        Duration within = Duration.ofSeconds(5);
        int i = 0;
        for (String op : calls.keySet()) {
            Throwable t = failure(stages.get(i++), within);
            if (op.equals("rotate") && t instanceof UnsupportedOperationException) {
                continue;
            }
            assertThat(t).as(op).isInstanceOf(KmsUnavailableException.class);
            assertThat(((KmsUnavailableException) t).reason()).as(op).isEqualTo(KmsUnavailableException.Reason.TIMEOUT);
        }
    }
}
