package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class ResilientKmsTest {
    private static final KeyInfo OK = new KeyInfo("k", KeyState.ENABLED, "AES-256-GCM", "local", "1", true, null, null);
    private static final RetryPolicy FAST = new RetryPolicy(Duration.ofMillis(200), 3, Duration.ofMillis(1), Duration.ofMillis(5));
    private static final EncryptionContext CONTEXT = EncryptionContext.forTopic("cluster-1", "orders");

    private static KmsUnavailableException unavailable(KmsUnavailableException.Reason reason) {
        return new KmsUnavailableException(reason, "unavailable: " + reason);
    }

    private static GeneratedDek generated(DataKey dek) {
        return new GeneratedDek(dek, new KekRef("scripted", "k", "1"), new byte[] {1, 2, 3});
    }

    @Test
    void retriesUnavailableErrorsThenSucceeds() {
        ScriptedKms kms = new ScriptedKms()
                .thenFail(unavailable(KmsUnavailableException.Reason.THROTTLED))
                .then(() -> CompletableFuture.supplyAsync(() -> {
                    throw unavailable(KmsUnavailableException.Reason.NETWORK); // fails later, on another thread
                }))
                .thenAnswer(OK);
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThat(KmsCalls.await(r.describe("k"))).isEqualTo(OK);
        }
        assertThat(kms.calls()).isEqualTo(3);
        // the retries are scheduled, not slept through on the caller's thread
        assertThat(kms.callerThreads.get(0)).isEqualTo(Thread.currentThread().getName());
        assertThat(kms.callerThreads.subList(1, 3)).containsOnly("keyhold-kms-timer");
    }

    @Test
    void givesUpAfterMaxAttemptsWithTheLastReason() {
        ScriptedKms kms = new ScriptedKms();
        for (int i = 0; i < 3; i++) {
            kms.thenFail(unavailable(KmsUnavailableException.Reason.NETWORK));
        }
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThatThrownBy(() -> KmsCalls.await(r.describe("k")))
                    .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.NETWORK))
                    .hasMessageContaining("after 3 attempts");
        }
        assertThat(kms.calls()).isEqualTo(3);
    }

    @Test
    void neverRetriesDenied() {
        KmsDeniedException denied = new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "key k is disabled");
        ScriptedKms kms = new ScriptedKms()
                .then(() -> CompletableFuture.supplyAsync(() -> {
                    throw denied;
                }))
                .thenAnswer(OK);
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThatThrownBy(() -> KmsCalls.await(r.describe("k"))).isSameAs(denied);
        }
        assertThat(kms.calls()).isEqualTo(1);
    }

    @Test
    void otherFailuresAreNotRetriedEither() {
        IllegalArgumentException bad = new IllegalArgumentException("not a key reference");
        ScriptedKms kms = new ScriptedKms().thenFail(bad).thenAnswer(OK);
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            assertThatThrownBy(() -> KmsCalls.await(r.describe("k"))).isSameAs(bad);
        }
        assertThat(kms.calls()).isEqualTo(1);
    }

    @Test
    void aStageThatNeverCompletesTimesOutOnEveryAttemptWhileTheCallReturnsAtOnce() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(100), 3, Duration.ZERO, Duration.ZERO);
        ScriptedKms kms = new ScriptedKms().thenHang().thenHang().thenHang();
        try (ResilientKms r = new ResilientKms(kms, policy)) {
            long start = System.nanoTime();
            CompletionStage<KeyInfo> call = r.describe("k");
            assertThat(call.toCompletableFuture()).as("the call returned before the KMS answered").isNotDone();
            assertThatThrownBy(() -> KmsCalls.await(call))
                    .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.TIMEOUT))
                    .hasMessageContaining("after 3 attempts")
                    .hasMessageContaining("did not answer within 100 ms");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("each attempt had its own timeout").isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThat(took).isLessThan(Duration.ofSeconds(5));
        }
        assertThat(kms.calls()).isEqualTo(3);
    }

    @Test
    void retriesWaitABackoffBoundedByItsCeiling() {
        Duration ceiling = Duration.ofMillis(100);
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(2), 10, ceiling, ceiling);
        ScriptedKms kms = new ScriptedKms();
        for (int i = 0; i < 9; i++) {
            kms.thenFail(unavailable(KmsUnavailableException.Reason.THROTTLED));
        }
        kms.thenAnswer(OK);
        try (ResilientKms r = new ResilientKms(kms, policy)) {
            CompletionStage<KeyInfo> call = r.describe("k");
            assertThat(call.toCompletableFuture()).as("backoff does not hold the caller").isNotDone();
            assertThat(KmsCalls.await(call)).isEqualTo(OK);
        }
        assertThat(kms.calls()).isEqualTo(10);
        long total = 0;
        for (int i = 1; i < 10; i++) {
            long gap = kms.callNanos.get(i) - kms.callNanos.get(i - 1);
            assertThat(Duration.ofNanos(gap)).as("wait before attempt %d", i + 1).isLessThan(ceiling.plusMillis(150));
            total += gap;
        }
        // Full jitter draws each wait from [0, ceiling]: nine of them sum to less than one ceiling with probability 1/9!.
        assertThat(Duration.ofNanos(total)).isGreaterThanOrEqualTo(ceiling);
    }

    @Test
    void aDekThatArrivesAfterItsAttemptTimedOutIsDestroyed() {
        RetryPolicy oneShot = new RetryPolicy(Duration.ofMillis(50), 1, Duration.ZERO, Duration.ZERO);
        CompletableFuture<GeneratedDek> lateGenerate = new CompletableFuture<>();
        CompletableFuture<DataKey> lateUnwrap = new CompletableFuture<>();
        ScriptedKms kms = new ScriptedKms().then(() -> lateGenerate).then(() -> lateUnwrap);
        try (ResilientKms r = new ResilientKms(kms, oneShot)) {
            assertThatThrownBy(() -> KmsCalls.await(r.generate("k", CONTEXT)))
                    .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.TIMEOUT));
            assertThatThrownBy(() -> KmsCalls.await(r.unwrap(new KekRef("scripted", "k", "1"), new byte[] {1}, CONTEXT)))
                    .isInstanceOf(KmsUnavailableException.class);
            DataKey generated = DataKey.generate();
            DataKey unwrapped = DataKey.generate();
            lateGenerate.complete(generated(generated));
            lateUnwrap.complete(unwrapped);
            assertThat(generated.isDestroyed()).as("nobody will ever use it").isTrue();
            assertThat(unwrapped.isDestroyed()).isTrue();
        }
    }

    @Test
    void theDekOfTheAttemptThatAnsweredInTimeIsKeptAndAnEarlierLateOneDestroyed() {
        RetryPolicy twoShots = new RetryPolicy(Duration.ofMillis(50), 2, Duration.ZERO, Duration.ZERO);
        CompletableFuture<GeneratedDek> late = new CompletableFuture<>();
        DataKey inTime = DataKey.generate();
        ScriptedKms kms = new ScriptedKms().then(() -> late).thenAnswer(generated(inTime));
        try (ResilientKms r = new ResilientKms(kms, twoShots)) {
            GeneratedDek g = KmsCalls.await(r.generate("k", CONTEXT));
            assertThat(g.dek()).isSameAs(inTime);
            DataKey tooLate = DataKey.generate();
            late.complete(generated(tooLate));
            assertThat(tooLate.isDestroyed()).isTrue();
            assertThat(inTime.isDestroyed()).isFalse();
        }
    }

    @Test
    void aProviderThatThrowsInsteadOfFailingTheStageIsStillAFailedStage() {
        KmsDeniedException denied = new KmsDeniedException(KmsDeniedException.Reason.ACCESS_DENIED, "no");
        ScriptedKms kms = new ScriptedKms().then(() -> {
            throw denied;
        });
        try (ResilientKms r = new ResilientKms(kms, FAST)) {
            CompletionStage<KeyInfo> call = r.describe("k");
            assertThatThrownBy(() -> KmsCalls.await(call)).isSameAs(denied);
        }
    }

    @Test
    void closeClosesTheDelegate() {
        ScriptedKms kms = new ScriptedKms();
        new ResilientKms(kms, FAST).close();
        assertThat(kms.closed).isTrue();
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
