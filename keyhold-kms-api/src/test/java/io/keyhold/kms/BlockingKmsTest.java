package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockingKmsTest {
    private static final KeyInfo OK = new KeyInfo("k", KeyState.ENABLED, "AES-256-GCM", "local", "1", true, null, null);
    private static final EncryptionContext CONTEXT = EncryptionContext.forTopic("cluster-1", "orders");

    /** A provider whose client library blocks: each call waits until the test opens {@link #gate}. */
    static final class GatedKms extends BlockingKms {
        final CountDownLatch gate = new CountDownLatch(1);
        final List<String> threads = new CopyOnWriteArrayList<>();
        final List<Boolean> daemons = new CopyOnWriteArrayList<>();
        final AtomicInteger closes = new AtomicInteger();
        volatile byte[] edekSeen;

        GatedKms() {
            super("gated", 2);
        }

        private void block() {
            threads.add(Thread.currentThread().getName());
            daemons.add(Thread.currentThread().isDaemon());
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) {
                    throw new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT, "gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, "interrupted");
            }
        }

        @Override
        public String kind() {
            return "gated";
        }

        @Override
        protected KeyInfo describeBlocking(String keyRef) {
            block();
            return OK;
        }

        @Override
        protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
            block();
            throw new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "key " + keyRef + " is disabled");
        }

        @Override
        protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
            block();
            edekSeen = edek.clone();
            return DataKey.generate();
        }

        @Override
        protected KeyInfo rotateBlocking(String keyRef) {
            throw new UnsupportedOperationException("no rotation");
        }

        @Override
        protected void closeBlocking() {
            closes.incrementAndGet();
        }
    }

    private final GatedKms kms = new GatedKms();

    @AfterEach
    void close() {
        kms.gate.countDown();
        kms.close();
    }

    @Test
    void callsRunOnTheConnectionsOwnThreadsAndReturnBeforeTheBlockingCallEnds() {
        CompletionStage<KeyInfo> call = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> kms.describe("k"));
        assertThat(call.toCompletableFuture()).isNotDone(); // the provider's method is still blocked
        kms.gate.countDown();
        assertThat(KmsCalls.await(call, Duration.ofSeconds(5))).isEqualTo(OK);
        assertThat(kms.threads).singleElement().asString().startsWith("keyhold-kms-gated-")
                .isNotEqualTo(Thread.currentThread().getName());
        assertThat(kms.daemons).containsOnly(true);
    }

    @Test
    void whatTheBlockingMethodThrowsFailsTheStage() {
        kms.gate.countDown();
        CompletionStage<GeneratedDek> call = kms.generate("k", CONTEXT);
        assertThatThrownBy(() -> KmsCalls.await(call, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(KmsDeniedException.Reason.DISABLED));
        assertThatThrownBy(() -> KmsCalls.await(kms.rotate("k"), Duration.ofSeconds(5))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void unwrapWorksOnItsOwnCopyOfTheEdek() {
        byte[] edek = {1, 2, 3, 4};
        CompletionStage<DataKey> call = kms.unwrap(new KekRef("gated", "k", "1"), edek, CONTEXT);
        java.util.Arrays.fill(edek, (byte) 0); // the caller reuses its buffer at once
        kms.gate.countDown();
        try (DataKey dek = KmsCalls.await(call, Duration.ofSeconds(5))) {
            assertThat(dek.isDestroyed()).isFalse();
        }
        assertThat(kms.edekSeen).containsExactly(1, 2, 3, 4);
    }

    @Test
    void callsAfterCloseFailTheirStageInsteadOfThrowing() {
        kms.close();
        assertThat(kms.closes).hasValue(1);
        CompletionStage<KeyInfo> call = kms.describe("k");
        assertThatThrownBy(() -> KmsCalls.await(call, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
