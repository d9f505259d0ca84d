package io.keyhold.crypto;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** Small helpers for the asynchronous DEK sources: the failure inside a completion, a stage from a call that may throw. */
final class KmsFutures {
    private KmsFutures() {
    }

    /** The cause a {@link CompletionException} or {@link ExecutionException} wraps, else {@code t}. */
    static Throwable cause(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** {@code call.get()}, with a synchronous throw turned into a failed stage. */
    static <T> CompletionStage<T> call(java.util.function.Supplier<CompletionStage<T>> call) {
        try {
            CompletionStage<T> s = call.get();
            return s != null ? s : CompletableFuture.failedFuture(new IllegalStateException("the DEK source returned no stage"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
