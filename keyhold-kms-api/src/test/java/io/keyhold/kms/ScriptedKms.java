package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A KMS whose calls play a script of outcomes, one per call, in the order they are made: each
 * outcome is the stage that call returns (answered at once, later, on another thread, or never).
 * Records which thread made each call.
 */
final class ScriptedKms implements Kms {
    private final Deque<Supplier<? extends CompletionStage<?>>> script = new ArrayDeque<>();
    final List<String> callerThreads = new CopyOnWriteArrayList<>();
    final List<Long> callNanos = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    /** Adds the outcome of the next call. */
    synchronized ScriptedKms then(Supplier<? extends CompletionStage<?>> outcome) {
        script.add(outcome);
        return this;
    }

    /** Adds a call that fails with {@code e}, completing at once. */
    ScriptedKms thenFail(RuntimeException e) {
        return then(() -> CompletableFuture.failedFuture(e));
    }

    /** Adds a call that succeeds with {@code value}, answered on another thread. */
    ScriptedKms thenAnswer(Object value) {
        return then(() -> CompletableFuture.supplyAsync(() -> value));
    }

    /** Adds a call whose stage never completes: a KMS that hangs. */
    ScriptedKms thenHang() {
        return then(CompletableFuture::new);
    }

    int calls() {
        return callerThreads.size();
    }

    @SuppressWarnings("unchecked")
    private synchronized <T> CompletionStage<T> next() {
        callerThreads.add(Thread.currentThread().getName());
        callNanos.add(System.nanoTime());
        Supplier<? extends CompletionStage<?>> outcome = script.poll();
        if (outcome == null) {
            return CompletableFuture.failedFuture(new AssertionError("unscripted call"));
        }
        return (CompletionStage<T>) outcome.get();
    }

    @Override
    public String kind() {
        return "scripted";
    }

    @Override
    public CompletionStage<KeyInfo> describe(String keyRef) {
        return next();
    }

    @Override
    public CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context) {
        return next();
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        return next();
    }

    @Override
    public CompletionStage<KeyInfo> rotate(String keyRef) {
        return next();
    }

    @Override
    public void close() {
        closed = true;
    }
}
