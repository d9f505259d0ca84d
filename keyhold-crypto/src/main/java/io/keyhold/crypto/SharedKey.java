package io.keyhold.crypto;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cached DEK that several threads may be using at once. A cache retires it (evicted, expired,
 * used up, purged); its bytes are wiped as soon as it is retired <em>and</em> no thread is still
 * inside an encrypt or decrypt with it, so eviction never pulls a key out from under a running call.
 */
class SharedKey {
    /** Length of the header digest that starts every record AAD (SHA-256). */
    static final int HEADER_DIGEST_LENGTH = 32;

    private final DataKey key;
    private final byte[] headerDigest;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean wiped = new AtomicBoolean();
    private volatile boolean retired;

    /** @param headerDigest SHA-256 of the envelope header this key belongs to (part of every record's AAD) */
    SharedKey(DataKey key, byte[] headerDigest) {
        if (headerDigest.length != HEADER_DIGEST_LENGTH) {
            throw new IllegalArgumentException("header digest of " + headerDigest.length + " bytes");
        }
        this.key = key;
        this.headerDigest = headerDigest;
    }

    DataKey key() {
        return key;
    }

    /** The record AAD for this key's envelopes: {@code SHA-256(header) || context}. */
    byte[] recordAad(Aad context) {
        return AesGcm.concat(headerDigest, context.bytes());
    }

    /** Marks one use as started; false when the key is retired (the caller must then get another). */
    boolean acquire() {
        if (retired) {
            return false;
        }
        inFlight.incrementAndGet();
        // Re-check after announcing ourselves: retire() either sees our count or we see its flag.
        if (retired) {
            release();
            return false;
        }
        return true;
    }

    void release() {
        if (inFlight.decrementAndGet() == 0 && retired) {
            wipe();
        }
    }

    void retire() {
        retired = true;
        if (inFlight.get() == 0) {
            wipe();
        }
    }

    boolean isRetired() {
        return retired;
    }

    boolean isWiped() {
        return wiped.get();
    }

    private void wipe() {
        if (wiped.compareAndSet(false, true)) {
            key.destroy();
        }
    }
}
