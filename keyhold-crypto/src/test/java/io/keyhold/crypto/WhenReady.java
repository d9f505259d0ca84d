package io.keyhold.crypto;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs an encryption or decryption the way a proxy does: when a DEK cache answers with
 * {@link DekPendingException}, wait for its {@code ready()} stage and try again; when that stage
 * fails, the KMS's error is the outcome.
 */
final class WhenReady {
    /** How long a proxy would keep a request waiting for its DEKs before failing it. */
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private WhenReady() {
    }

    /** The result of {@code work}, retried after every {@link DekPendingException} once the DEK is ready. */
    static <T> T retry(Supplier<T> work) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        int tries = 0;
        while (System.nanoTime() - deadline < 0) {
            tries++;
            try {
                return work.get();
            } catch (DekPendingException pending) {
                await(pending);
            }
        }
        throw new AssertionError("still waiting for a DEK after " + tries + " tries in " + PATIENCE.toSeconds() + " s");
    }

    /** Waits for {@code pending.ready()}; its failure is rethrown as it is. */
    static void await(DekPendingException pending) {
        try {
            pending.ready().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = KmsFutures.cause(e);
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new AssertionError("the DEK cache failed with a checked exception", cause);
        } catch (TimeoutException e) {
            throw new AssertionError("the DEK was not ready within 10 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
