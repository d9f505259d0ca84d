package io.keyhold.crypto;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * EDEK to DEK, for the KEKs its {@link KekPolicy} allows: an envelope under any other KEK is
 * refused with a {@link ForeignKekException} before the unwrapper (the KMS) is called, and nothing
 * is cached for it. Every entry therefore passed the policy, which is fixed for the cache's life;
 * a cache serves one policy owner (one proxy, one cluster) and is never shared with another.
 *
 * <p>Bounded in size (least recently used go first) and in time (an entry is dropped
 * {@code ttl} after it was unwrapped, so access to the KEK is re-checked at the KMS periodically).
 * Concurrent misses on the same EDEK share one unwrap call.
 *
 * <p>Entries are keyed by the envelope header's bytes (which name the KEK version and hold the
 * EDEK), so a hit costs one hash lookup over a view of the caller's buffer: no parsing, no copy.
 */
public final class DecryptionDekCache {
    private final DekUnwrapper unwrapper;
    private final KekPolicy policy;
    private final Cache<ByteBuffer, SharedKey> cache;

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
                .removalListener((ByteBuffer k, SharedKey v, RemovalCause c) -> {
                    if (v != null) {
                        v.retire();
                    }
                })
                .build();
    }

    /**
     * A DEK for the envelope header at {@code buf[off..off+headerLength)}, acquired for one use;
     * the caller must {@link SharedKey#release()} it.
     *
     * @throws ForeignKekException when the header names a KEK the policy does not allow
     */
    SharedKey acquire(byte[] buf, int off, int headerLength) {
        ByteBuffer view = ByteBuffer.wrap(buf, off, headerLength);
        SharedKey hit = cache.getIfPresent(view);
        if (hit != null && hit.acquire()) {
            return hit;
        }
        // Miss (or a key retired under us): parse the header and key the entry by a private copy.
        EnvelopeFormat.Header header = EnvelopeFormat.parseHeader(buf, off, headerLength, buf[off + 3]);
        policy.check(header.kek()); // before the KMS sees the EDEK; cached entries all passed it
        ByteBuffer id = ByteBuffer.wrap(Arrays.copyOfRange(buf, off, off + headerLength));
        while (true) {
            SharedKey key = cache.get(id, k -> new SharedKey(unwrapper.unwrap(header.kek(), header.edek(buf, off)),
                    AesGcm.sha256(buf, off, headerLength)));
            if (key.acquire()) {
                return key;
            }
            cache.asMap().remove(id, key);
        }
    }

    /** Drops and wipes every cached DEK now. */
    public void purge() {
        cache.invalidateAll();
        cache.cleanUp();
    }

    /** Expires what is due now (tests; Caffeine otherwise does this during normal use). */
    public void cleanUp() {
        cache.cleanUp();
    }

    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }
}
