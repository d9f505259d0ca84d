package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Puts a timeout on every attempt of a {@link Kms} call and retries {@link KmsUnavailableException}s
 * with exponential backoff and full jitter; {@link KmsDeniedException}s are never retried (the
 * answer will not change). An attempt that exceeds its timeout fails with
 * {@code KmsUnavailableException(TIMEOUT)}; if the KMS answers it later anyway, a DEK in that late
 * answer is destroyed at once, since nobody will ever use it.
 *
 * <p>Non-blocking like the SPI it wraps: waiting and backoff happen on one shared timer thread
 * ({@code keyhold-kms-timer}), never on the caller's.
 */
public final class ResilientKms implements Kms {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "keyhold-kms-timer");
        t.setDaemon(true);
        return t;
    });

    private final Kms delegate;
    private final RetryPolicy policy;

    public ResilientKms(Kms delegate, RetryPolicy policy) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The connection this one wraps. */
    public Kms delegate() {
        return delegate;
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public CompletionStage<KeyInfo> describe(String keyRef) {
        return call("describe", () -> delegate.describe(keyRef), null);
    }

    @Override
    public CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context) {
        return call("generate", () -> delegate.generate(keyRef, context), g -> g.dek().destroy());
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        return call("unwrap", () -> delegate.unwrap(kek, edek, context), DataKey::destroy);
    }

    @Override
    public CompletionStage<WrappedKey> wrap(String keyRef, DataKey key, EncryptionContext context) {
        return call("wrap", () -> delegate.wrap(keyRef, key, context), null);
    }

    @Override
    public CompletionStage<KeyInfo> rotate(String keyRef) {
        return call("rotate", () -> delegate.rotate(keyRef), null);
    }

    @Override
    public CompletionStage<java.util.List<String>> keyProblems(String keyRef) {
        return call("keyProblems", () -> delegate.keyProblems(keyRef), null);
    }

    @Override
    public CompletionStage<Void> checkAccess(String keyRef) {
        return call("checkAccess", () -> delegate.checkAccess(keyRef), null);
    }

    /**
     * @param discard what to do with a result that arrives after its attempt timed out (wipe a DEK)
     */
    private <T> CompletionStage<T> call(String op, Supplier<CompletionStage<T>> body, Consumer<T> discard) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(op, body, discard, 1, result);
        return result;
    }

    private <T> void attempt(String op, Supplier<CompletionStage<T>> body, Consumer<T> discard, int attempt,
                             CompletableFuture<T> result) {
        CompletableFuture<T> once = new CompletableFuture<>();
        var timeout = TIMER.schedule(() -> once.completeExceptionally(new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT,
                delegate.kind() + " KMS " + op + " did not answer within " + policy.callTimeout().toMillis() + " ms")),
                policy.callTimeout().toNanos(), TimeUnit.NANOSECONDS);
        CompletionStage<T> stage;
        try {
            stage = body.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e); // a provider that breaks the contract and throws
        }
        stage.whenComplete((value, err) -> {
            timeout.cancel(false);
            boolean mine = err == null ? once.complete(value) : once.completeExceptionally(KmsCalls.cause(err));
            if (!mine && value != null && discard != null) {
                discard.accept(value); // too late: the attempt already timed out
            }
        });
        once.whenComplete((value, err) -> {
            if (err == null) {
                result.complete(value);
                return;
            }
            Throwable cause = KmsCalls.cause(err);
            if (!(cause instanceof KmsUnavailableException)) {
                result.completeExceptionally(cause);
            } else if (attempt >= policy.maxAttempts()) {
                KmsUnavailableException last = (KmsUnavailableException) cause;
                result.completeExceptionally(new KmsUnavailableException(last.reason(), delegate.kind() + " KMS " + op
                        + " failed after " + policy.maxAttempts() + " attempts: " + last.getMessage(), last));
            } else if (!result.isDone()) {
                long ceiling = policy.backoffCeiling(attempt + 1).toNanos();
                long delay = ceiling <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
                TIMER.schedule(() -> attempt(op, body, discard, attempt + 1, result), delay, TimeUnit.NANOSECONDS);
            }
        });
    }

    @Override
    public void forget(String keyRef) {
        delegate.forget(keyRef);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
