package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class KmsCallsTest {
    private final KmsDeniedException denied = new KmsDeniedException(KmsDeniedException.Reason.NOT_FOUND, "no key k");

    @Test
    void awaitRethrowsTheFailureItself() {
        assertThatThrownBy(() -> KmsCalls.await(CompletableFuture.failedFuture(denied))).isSameAs(denied);
    }

    @Test
    void awaitUnwrapsTheCompletionExceptionsOfDependentStages() {
        CompletableFuture<String> thrownInAStage = CompletableFuture.supplyAsync(() -> "x").thenApply(x -> {
            throw denied;
        });
        assertThatThrownBy(() -> KmsCalls.await(thrownInAStage)).isSameAs(denied);
        CompletableFuture<String> nested = CompletableFuture.failedFuture(new CompletionException(new CompletionException(denied)));
        assertThatThrownBy(() -> KmsCalls.await(nested)).isSameAs(denied);
    }

    @Test
    void aCheckedCauseBecomesAnInternalUnavailableError() {
        IOException io = new IOException("connection reset");
        assertThatThrownBy(() -> KmsCalls.await(CompletableFuture.failedFuture(io)))
                .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.INTERNAL))
                .satisfies(e -> assertThat(e.getCause()).isSameAs(io));
    }

    @Test
    void anErrorIsRethrownAsItIs() {
        StackOverflowError error = new StackOverflowError();
        assertThatThrownBy(() -> KmsCalls.await(CompletableFuture.failedFuture(error))).isSameAs(error);
    }

    @Test
    void waitingTooLongIsATimeout() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> KmsCalls.await(new CompletableFuture<>(), Duration.ofMillis(100)))
                .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.TIMEOUT))
                .hasMessageContaining("100 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    @Test
    void anInterruptedWaitKeepsTheInterruptFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> KmsCalls.await(new CompletableFuture<>()))
                    .isInstanceOfSatisfying(KmsUnavailableException.class, e -> assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.INTERNAL));
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aCompletionFailureDoesNotNest() {
        CompletionException once = KmsCalls.asCompletionFailure(denied);
        assertThat(once.getCause()).isSameAs(denied);
        assertThat(KmsCalls.asCompletionFailure(once).getCause()).isSameAs(denied);
        assertThat(KmsCalls.asCompletionFailure(new CompletionException(once)).getCause()).isSameAs(denied);
    }
}
