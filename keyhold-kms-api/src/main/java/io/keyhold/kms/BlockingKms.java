package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The base of providers whose client library blocks (a file store, an HTTP client, an HSM): each
 * {@link Kms} call runs the provider's blocking method on this connection's own threads, so callers
 * on event loops never wait. Subclasses implement the {@code ...Blocking} methods with the same
 * contract as {@link Kms}'s, throwing instead of failing a stage.
 *
 * <p>The threads are daemons named {@code keyhold-kms-<kind>-N}; at most {@code threads} calls run
 * at once and the rest queue (a KMS that hangs holds its threads until {@link ResilientKms}'s
 * timeout gives up on the call: the thread returns when the client library's own timeout fires).
 */
public abstract class BlockingKms implements Kms {
    private final ExecutorService calls;

    /** @param threads how many calls may run at once */
    protected BlockingKms(String kind, int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "keyhold-kms-" + kind + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.calls = pool;
    }

    protected abstract KeyInfo describeBlocking(String keyRef);

    protected abstract GeneratedDek generateBlocking(String keyRef, EncryptionContext context);

    protected abstract DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context);

    protected abstract KeyInfo rotateBlocking(String keyRef);

    /** As {@link Kms#wrap}; by default unsupported (see there). */
    protected WrappedKey wrapBlocking(String keyRef, DataKey key, EncryptionContext context) {
        throw new UnsupportedOperationException("the " + kind() + " KMS provider cannot wrap an existing key"
                + " (needed to re-key a cluster onto it)");
    }

    /**
     * {@link #generateBlocking} for a KMS that has no call of its own to make a data key: a new
     * random DEK, wrapped by {@link #wrapBlocking}. Destroys the DEK if the wrap fails.
     */
    protected final GeneratedDek generateByWrapping(String keyRef, EncryptionContext context) {
        DataKey dek = DataKey.generate();
        try {
            WrappedKey wrapped = wrapBlocking(keyRef, dek, context);
            return new GeneratedDek(dek, wrapped.kek(), wrapped.edek());
        } catch (RuntimeException e) {
            dek.destroy();
            throw e;
        }
    }

    /** Releases the client library's resources; called once by {@link #close()}. */
    protected abstract void closeBlocking();

    @Override
    public final CompletionStage<KeyInfo> describe(String keyRef) {
        String bad = badReference(keyRef);
        return bad != null ? Kms.failed(new IllegalArgumentException(bad)) : run(() -> describeBlocking(keyRef));
    }

    @Override
    public final CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context) {
        String bad = badReference(keyRef);
        if (bad == null && context == null) {
            bad = "an encryption context is required";
        }
        return bad != null ? Kms.failed(new IllegalArgumentException(bad)) : run(() -> generateBlocking(keyRef, context));
    }

    @Override
    public final CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        if (kek == null || edek == null || edek.length == 0 || context == null) {
            return Kms.failed(new IllegalArgumentException("unwrap needs a KEK reference, a wrapped DEK and an encryption context"));
        }
        byte[] copy = edek.clone();
        return run(() -> unwrapBlocking(kek, copy, context));
    }

    @Override
    public final CompletionStage<WrappedKey> wrap(String keyRef, DataKey key, EncryptionContext context) {
        String bad = badReference(keyRef);
        if (bad == null && (key == null || context == null)) {
            bad = "wrap needs a key and an encryption context";
        }
        return bad != null ? Kms.failed(new IllegalArgumentException(bad)) : run(() -> wrapBlocking(keyRef, key, context));
    }

    @Override
    public final CompletionStage<KeyInfo> rotate(String keyRef) {
        String bad = badReference(keyRef);
        return bad != null ? Kms.failed(new IllegalArgumentException(bad)) : run(() -> rotateBlocking(keyRef));
    }

    /** Why {@code keyRef} is no key reference at all, or null: the checks every provider shares. */
    private static String badReference(String keyRef) {
        return keyRef == null || keyRef.isBlank() ? "a key reference is required" : null;
    }

    /** Runs a blocking call of the subclass's own (e.g. a provider's {@code keyProblems}) on this connection's threads. */
    protected final <T> CompletionStage<T> run(Supplier<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            calls.execute(new Call<>(call, result, kind()));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the " + kind() + " KMS connection is closed"));
        }
        return result;
    }

    /** One queued call; cancelled when the connection closes before it ran, which fails its stage. */
    private static final class Call<T> extends java.util.concurrent.FutureTask<Void> {
        Call(Supplier<T> call, CompletableFuture<T> result, String kind) {
            super(() -> {
                try {
                    result.complete(call.get());
                } catch (RuntimeException | Error e) {
                    result.completeExceptionally(e);
                }
                return null;
            });
            this.result = result;
            this.kind = kind;
        }

        private final CompletableFuture<T> result;
        private final String kind;

        @Override
        public boolean cancel(boolean mayInterrupt) {
            result.completeExceptionally(new IllegalStateException("the " + kind + " KMS connection was closed before the call ran"));
            return super.cancel(mayInterrupt);
        }
    }

    @Override
    public final void close() {
        // Calls still queued will never run: fail them rather than leave their callers waiting.
        for (Runnable dropped : calls.shutdownNow()) {
            if (dropped instanceof java.util.concurrent.Future) {
                ((java.util.concurrent.Future<?>) dropped).cancel(false);
            }
        }
        closeBlocking();
    }
}
