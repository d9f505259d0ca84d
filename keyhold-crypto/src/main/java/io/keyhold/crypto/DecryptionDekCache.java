package io.keyhold.crypto;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * EDEK to DEK, for the KEKs its {@link KekPolicy} allows: an envelope under any other KEK is
 * refused with a {@link ForeignKekException} before the unwrapper (the KMS) is called, and nothing
 * is cached for it. Every entry therefore passed the policy, which is fixed for the cache's life;
 * a cache serves one policy owner (one proxy, one cluster) and is never shared with another.
 *
 * <p>The KMS is never called on the caller's thread: a miss starts an asynchronous unwrap and
 * throws {@link DekPendingException}; the caller retries once its {@code ready()} stage completes.
 * Concurrent misses on the same EDEK under the same context share one unwrap call.
 *
 * <p>Each DEK is cached with the {@link EncryptionContext} it was unwrapped under; an envelope
 * carrying the same EDEK under another context (a record copied into another topic) is refused
 * without a KMS call, as the KMS itself would refuse it.
 *
 * <p>Bounded in size (least recently used go first) and in time (an entry is dropped {@code ttl}
 * after it was unwrapped, so access to the KEK is re-checked at the KMS periodically). Failed
 * unwraps are remembered briefly (a refusal for {@link #REFUSAL_MEMORY}, a KMS that could not be
 * reached for {@link #OUTAGE_MEMORY}), so one damaged or injected EDEK costs one KMS call, not one
 * per fetch. A failure is remembered for the context it was tried under only: a copy of a record
 * refused in another topic never stands in the way of the EDEK's own topic.
 *
 * <p>Entries are keyed by the envelope header's bytes (which name the KEK version and hold the
 * EDEK), so a hit costs one hash lookup over a view of the caller's buffer: no parsing, no copy.
 */
public final class DecryptionDekCache {
    /** How long a refused EDEK (invalid, under a disabled key, ...) is answered from memory. */
    public static final Duration REFUSAL_MEMORY = Duration.ofSeconds(30);
    /** How long an EDEK whose unwrap failed for want of the KMS is answered from memory. */
    public static final Duration OUTAGE_MEMORY = Duration.ofSeconds(1);
    private static final long MAX_FAILURES = 10_000;

    private final DekUnwrapper unwrapper;
    private final KekPolicy policy;
    private final Cache<ByteBuffer, UnwrappedKey> cache;
    private final Cache<Attempt, RuntimeException> failures;
    private final ConcurrentHashMap<Attempt, CompletableFuture<Void>> unwrapping = new ConcurrentHashMap<>();
    private final Object installLock = new Object();
    private long epoch;

    /**
     * @param unwrapper turns EDEKs into DEKs (usually the KMS)
     * @param policy    the KEKs this cache may unwrap under, e.g. {@link KekPolicy#onlyKey}
     */
    public DecryptionDekCache(DekUnwrapper unwrapper, KekPolicy policy, long maxSize, Duration ttl) {
        this(unwrapper, policy, maxSize, ttl, Ticker.systemTicker());
    }

    /** With an explicit clock (nanoseconds) for tests. */
    public DecryptionDekCache(DekUnwrapper unwrapper, KekPolicy policy, long maxSize, Duration ttl, Ticker ticker) {
        this.unwrapper = Objects.requireNonNull(unwrapper, "unwrapper");
        this.policy = Objects.requireNonNull(policy, "policy");
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be at least 1, got " + maxSize);
        }
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxSize)
                .expireAfterWrite(ttl)
                .ticker(ticker)
                .executor(Runnable::run) // wipe evicted keys on the caller's thread, at once
                .removalListener((ByteBuffer k, UnwrappedKey v, RemovalCause c) -> {
                    if (v != null) {
                        v.retire();
                    }
                })
                .build();
        this.failures = Caffeine.newBuilder()
                .maximumSize(MAX_FAILURES)
                .expireAfter(Expiry.creating((Attempt k, RuntimeException e) -> isRetriable(e) ? OUTAGE_MEMORY : REFUSAL_MEMORY))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    private static boolean isRetriable(Throwable e) {
        return e instanceof Retriable && ((Retriable) e).isRetriable();
    }

    /**
     * A DEK for the envelope header at {@code buf[off..off+headerLength)}, acquired for one use;
     * the caller must {@link SharedKey#release()} it.
     *
     * @throws ForeignKekException  when the header names a KEK the policy does not allow
     * @throws DekPendingException  when the DEK is not cached yet: an unwrap has been started
     * @throws CryptoException      when the EDEK is cached under another context
     * @throws RuntimeException     the KMS's error, remembered from a recent failed unwrap of this EDEK
     */
    SharedKey acquire(byte[] buf, int off, int headerLength, EncryptionContext context) {
        ByteBuffer view = ByteBuffer.wrap(buf, off, headerLength);
        UnwrappedKey hit = cache.getIfPresent(view);
        if (hit != null) {
            if (!hit.context.equals(context)) {
                throw new CryptoException("the envelope's data key was wrapped for another topic or cluster");
            }
            if (hit.acquire()) {
                return hit;
            }
        }
        RuntimeException failed = failures.getIfPresent(new Attempt(view, context));
        if (failed != null) {
            throw failed;
        }
        // Miss: parse the header and key the entry by a private copy.
        byte cipher = buf[off + 2] == EnvelopeFormat.VERSION_2_COMPACT ? EnvelopeFormat.CIPHER_AES256_GCM : buf[off + 3];
        EnvelopeFormat.Header header = EnvelopeFormat.parseHeader(buf, off, headerLength, cipher);
        policy.check(header.kek()); // before the KMS sees the EDEK; cached entries all passed it
        Attempt attempt = new Attempt(ByteBuffer.wrap(Arrays.copyOfRange(buf, off, off + headerLength)), context);
        throw new DekPendingException(request(attempt, header.kek(), header.edek(buf, off), AesGcm.sha256(buf, off, headerLength)));
    }

    private CompletableFuture<Void> request(Attempt attempt, KekRef kek, byte[] edek, byte[] headerDigest) {
        EncryptionContext context = attempt.context();
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> theirs = unwrapping.putIfAbsent(attempt, mine);
        if (theirs != null) {
            return theirs;
        }
        long startedIn;
        synchronized (installLock) {
            startedIn = epoch;
        }
        // The outcome is stored before the call is forgotten: a miss in between finds it or joins this call, never starts another.
        KmsFutures.call(() -> unwrapper.unwrap(kek, edek, context)).whenComplete((dek, err) -> {
            if (err == null && dek == null) {
                err = new CryptoException("the unwrapper answered with no DEK"); // a provider bug: fail, never cache null
            }
            if (err != null) {
                Throwable cause = KmsFutures.cause(err);
                RuntimeException failure = cause instanceof RuntimeException ? (RuntimeException) cause
                        : new CryptoException("unwrapping a data key failed: " + cause);
                synchronized (installLock) {
                    if (epoch == startedIn) {
                        failures.put(attempt, failure); // not after a purge: an unlock starts from a clean slate
                    }
                }
                unwrapping.remove(attempt, mine);
                mine.completeExceptionally(failure);
                return;
            }
            UnwrappedKey key = new UnwrappedKey(dek, headerDigest, context);
            synchronized (installLock) {
                if (epoch != startedIn) {
                    key.retire(); // purged while the KMS answered (a lock): keep nothing
                } else {
                    cache.put(attempt.header(), key);
                }
            }
            unwrapping.remove(attempt, mine);
            mine.complete(null);
        });
        return mine;
    }

    /** Drops and wipes every cached DEK now, and any that is on its way from the KMS when it arrives. */
    public void purge() {
        synchronized (installLock) {
            epoch++;
            cache.invalidateAll();
            failures.invalidateAll();
        }
        cache.cleanUp();
    }

    /**
     * Drops and wipes every DEK past its ttl, and forgets failures past theirs. Caffeine does this
     * only as a side effect of using the cache, so the DEKs of a topic nobody reads any more would
     * stay in memory indefinitely; call this periodically (the proxy does, from a timer).
     */
    public void sweep() {
        cache.cleanUp();
        failures.cleanUp();
    }

    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** One EDEK (by the envelope header that holds it) unwrapped under one context: what a failure or a call under way is about. */
    private record Attempt(ByteBuffer header, EncryptionContext context) {
    }

    /** A cached DEK and the context it was unwrapped under. */
    private static final class UnwrappedKey extends SharedKey {
        final EncryptionContext context;

        UnwrappedKey(DataKey key, byte[] headerDigest, EncryptionContext context) {
            super(key, headerDigest);
            this.context = context;
        }
    }
}
