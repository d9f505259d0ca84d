package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ResilientKmsTest {
    /** A KMS whose describe() plays a script of outcomes, one per call. */
    static final class ScriptedKms implements Kms {
        final Deque<Supplier<KeyInfo>> script = new ArrayDeque<>();
        final AtomicInteger calls = new AtomicInteger();

        @Override public String kind() { return "scripted"; }
        @Override public KeyInfo describe(String keyId) { calls.incrementAndGet(); return script.pop().get(); }
        @Override public GeneratedDek generate(String keyId) { throw new UnsupportedOperationException(); }
        @Override public DataKey unwrap(KekRef kek, byte[] edek) { throw new UnsupportedOperationException(); }
        @Override public KeyInfo rotate(String keyId) { throw new UnsupportedOperationException(); }
        @Override public void checkAccess(String keyId) { describe(keyId); }
        @Override public void close() { }
    }

    private static final KeyInfo OK = new KeyInfo("k", KeyState.ENABLED, "AES-256-GCM", "local", "1", true, null, null);
    private static final RetryPolicy FAST = new RetryPolicy(Duration.ofMillis(200), 3, Duration.ofMillis(1), Duration.ofMillis(5));

    @Test
    void retriesUnavailableErrorsThenSucceeds() {
        ScriptedKms kms = new ScriptedKms();
        kms.script.add(() -> { throw new KmsUnavailableException(KmsUnavailableException.Reason.THROTTLED, "slow down"); });
        kms.script.add(() -> { throw new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, "reset"); });
        kms.script.add(() -> OK);
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThat(r.describe("k")).isEqualTo(OK);
        }
        assertThat(kms.calls).hasValue(3);
    }

    @Test
    void givesUpAfterMaxAttemptsWithTheLastReason() {
        ScriptedKms kms = new ScriptedKms();
        for (int i = 0; i < 3; i++) {
            kms.script.add(() -> { throw new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, "down"); });
        }
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThatThrownBy(() -> r.describe("k"))
                    .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.NETWORK))
                    .hasMessageContaining("after 3 attempts");
        }
        assertThat(kms.calls).hasValue(3);
    }

    @Test
    void neverRetriesDenied() {
        ScriptedKms kms = new ScriptedKms();
        kms.script.add(() -> { throw new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "key k is disabled"); });
        kms.script.add(() -> OK);
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThatThrownBy(() -> r.describe("k")).isInstanceOf(KmsDeniedException.class).hasMessage("key k is disabled");
        }
        assertThat(kms.calls).hasValue(1);
    }

    @Test
    void aHangingCallTimesOut() {
        ScriptedKms kms = new ScriptedKms();
        for (int i = 0; i < 3; i++) {
            kms.script.add(() -> {
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return OK;
            });
        }
        long start = System.nanoTime();
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThatThrownBy(() -> r.describe("k"))
                    .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.TIMEOUT));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void policyIsValidated() {
        assertThatThrownBy(() -> new RetryPolicy(Duration.ZERO, 1, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), 0, Duration.ZERO, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThat(RetryPolicy.DEFAULT.backoffCeiling(2)).isEqualTo(Duration.ofMillis(100));
        assertThat(RetryPolicy.DEFAULT.backoffCeiling(4)).isEqualTo(Duration.ofMillis(400));
        assertThat(RetryPolicy.DEFAULT.backoffCeiling(40)).isEqualTo(Duration.ofSeconds(2));
    }
}
