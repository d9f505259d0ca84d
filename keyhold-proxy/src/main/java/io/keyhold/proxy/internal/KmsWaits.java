package io.keyhold.proxy.internal;

import io.keyhold.crypto.DekPendingException;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The DEKs one request or response is waiting for. Record encryption never waits for the KMS on
 * an event loop: a miss throws {@link DekPendingException}, the handler collects it here, gives
 * the work back, and redoes it once {@link #allReady()} completes. On the last attempt waiting is
 * no longer {@link #allowed()}: what is still missing then fails with a retriable error.
 */
final class KmsWaits {
    /** Attempts at one request or response before what is still missing fails. */
    static final int MAX_ATTEMPTS = 4;

    private final int attempt;
    private final List<CompletableFuture<?>> stages = new ArrayList<>(2);

    /** @param attempt 1 for the first try */
    KmsWaits(int attempt) {
        this.attempt = attempt;
    }

    /** The waits of the next attempt. */
    KmsWaits next() {
        return new KmsWaits(attempt + 1);
    }

    /** Whether a miss may still be waited for (else it fails now). */
    boolean allowed() {
        return attempt < MAX_ATTEMPTS;
    }

    void add(DekPendingException e) {
        stages.add(e.ready().toCompletableFuture());
    }

    void add(CompletableFuture<?> stage) {
        stages.add(stage);
    }

    boolean isEmpty() {
        return stages.isEmpty();
    }

    /** Completes when every awaited DEK is there or failed (failures are seen on the retry). */
    private CompletableFuture<Void> allReady() {
        CompletableFuture<?>[] all = stages.stream().map(s -> s.handle((v, e) -> null)).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(all);
    }

    /**
     * Runs {@code then} on {@code loop} once every awaited stage is done, or once {@code max} has
     * passed, whichever comes first; exactly once.
     */
    void whenReady(EventLoop loop, Duration max, Runnable then) {
        boolean[] done = new boolean[1]; // touched on the loop only
        Runnable once = () -> {
            if (!done[0]) {
                done[0] = true;
                then.run();
            }
        };
        ScheduledFuture<?> timer = loop.schedule(once, max.toNanos(), TimeUnit.NANOSECONDS);
        allReady().whenComplete((v, e) -> loop.execute(() -> {
            timer.cancel(false);
            once.run();
        }));
    }

    /** The first failure among the awaited stages, or null. */
    Throwable firstFailure() {
        for (CompletableFuture<?> s : stages) {
            if (s.isCompletedExceptionally()) {
                try {
                    s.join();
                } catch (RuntimeException e) {
                    return io.keyhold.kms.KmsCalls.cause(e);
                }
            }
        }
        return null;
    }
}
