package io.keyhold.kms;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * For callers that may block (the CLI, the control plane's background jobs, tests): wait for a
 * {@link Kms} call and get its typed failure back as the exception it is. Never use on an event loop.
 */
public final class KmsCalls {
    /** Longer than any {@link ResilientKms} call with the default policy takes in all. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);

    private KmsCalls() {
    }

    /** The result of {@code stage}, waiting at most {@link #DEFAULT_WAIT}. */
    public static <T> T await(CompletionStage<T> stage) {
        return await(stage, DEFAULT_WAIT);
    }

    /**
     * The result of {@code stage}; its failure is rethrown unwrapped (a {@link KmsException}, an
     * {@link IllegalArgumentException}, ...). Waiting longer than {@code wait} fails with
     * {@link KmsUnavailableException} ({@code TIMEOUT}).
     */
    public static <T> T await(CompletionStage<T> stage, Duration wait) {
        try {
            return stage.toCompletableFuture().get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, "interrupted while waiting for the KMS");
        } catch (TimeoutException e) {
            throw new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT,
                    "the KMS did not answer within " + wait.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw asRuntime(e);
        }
    }

    /** The failure inside a completion ({@link CompletionException}, {@link ExecutionException}). */
    public static Throwable cause(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** {@link #cause} as an unchecked exception to rethrow. */
    public static RuntimeException asRuntime(Throwable t) {
        Throwable c = cause(t);
        if (c instanceof RuntimeException) {
            return (RuntimeException) c;
        }
        if (c instanceof Error) {
            throw (Error) c;
        }
        return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, "the KMS call failed: " + c, c);
    }

    /** {@code t} to throw inside a completion stage's function, unwrapped once so it does not nest. */
    public static CompletionException asCompletionFailure(Throwable t) {
        Throwable c = cause(t);
        return c instanceof CompletionException ? (CompletionException) c : new CompletionException(c);
    }
}
