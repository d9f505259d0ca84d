package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Puts a timeout on every call to a {@link Kms} and retries {@link KmsUnavailableException}s with
 * exponential backoff and jitter; {@link KmsDeniedException}s are never retried (the answer will not
 * change). A call that exceeds its timeout fails with {@code KmsUnavailableException(TIMEOUT)}.
 */
public final class ResilientKms implements Kms {
    private final Kms delegate;
    private final RetryPolicy policy;
    private final ExecutorService calls;

    public ResilientKms(Kms delegate, RetryPolicy policy) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.calls = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "keyhold-kms-" + delegate.kind());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public KeyInfo describe(String keyId) {
        return call("describe", () -> delegate.describe(keyId));
    }

    @Override
    public GeneratedDek generate(String keyId) {
        return call("generate", () -> delegate.generate(keyId));
    }

    @Override
    public DataKey unwrap(KekRef kek, byte[] edek) {
        return call("unwrap", () -> delegate.unwrap(kek, edek));
    }

    @Override
    public KeyInfo rotate(String keyId) {
        return call("rotate", () -> delegate.rotate(keyId));
    }

    @Override
    public void checkAccess(String keyId) {
        call("checkAccess", () -> {
            delegate.checkAccess(keyId);
            return null;
        });
    }

    private <T> T call(String op, Supplier<T> body) {
        KmsUnavailableException last = null;
        for (int attempt = 1; attempt <= policy.maxAttempts(); attempt++) {
            if (attempt > 1) {
                sleep(policy.backoffCeiling(attempt).toNanos());
            }
            try {
                return once(op, body);
            } catch (KmsUnavailableException e) {
                last = e;
            }
        }
        throw new KmsUnavailableException(last.reason(), delegate.kind() + " KMS " + op + " failed after "
                + policy.maxAttempts() + " attempts: " + last.getMessage(), last);
    }

    private <T> T once(String op, Supplier<T> body) {
        Future<T> f = calls.submit(body::get);
        try {
            return f.get(policy.callTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT,
                    delegate.kind() + " KMS " + op + " did not answer within " + policy.callTimeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, delegate.kind() + " KMS " + op + " failed", cause);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, "interrupted while waiting for the KMS");
        } catch (CancellationException e) {
            throw new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, delegate.kind() + " KMS " + op + " was cancelled");
        }
    }

    private static void sleep(long ceilingNanos) {
        long nanos = ceilingNanos <= 0 ? 0 : ThreadLocalRandom.current().nextLong(ceilingNanos + 1);
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, "interrupted during KMS retry backoff");
        }
    }

    @Override
    public void close() {
        calls.shutdownNow();
        delegate.close();
    }
}
