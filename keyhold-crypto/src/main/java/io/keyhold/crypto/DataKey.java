package io.keyhold.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * A data encryption key (DEK): 256 bits for AES-256-GCM, held in memory only.
 *
 * <p>Callers never see the key bytes, except through {@link #withKeyBytes}, which exists so that a
 * KMS provider can wrap the key; the copy it hands out is wiped when the callback returns.
 * {@link #destroy()} wipes the key; a destroyed key refuses every further use.
 */
public final class DataKey implements Destroyable, AutoCloseable {
    /** Key length in bytes (AES-256). */
    public static final int LENGTH = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;
    private volatile boolean destroyed;

    private DataKey(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A fresh random key. */
    public static DataKey generate() {
        byte[] b = new byte[LENGTH];
        RANDOM.nextBytes(b);
        return new DataKey(b);
    }

    /**
     * Takes over key bytes that came from elsewhere (a KMS unwrap): copies them and wipes
     * {@code source}, so the caller holds no plaintext copy afterwards.
     */
    public static DataKey fromBytesWipingSource(byte[] source) {
        Objects.requireNonNull(source, "source");
        try {
            if (source.length != LENGTH) {
                throw new IllegalArgumentException("a data key is " + LENGTH + " bytes, got " + source.length);
            }
            return new DataKey(source.clone());
        } finally {
            Arrays.fill(source, (byte) 0);
        }
    }

    /** A function over the key bytes; see {@link #withKeyBytes}. */
    @FunctionalInterface
    public interface KeyBytesFunction<R> {
        R apply(byte[] keyBytes);
    }

    /**
     * Runs {@code fn} with a temporary copy of the key bytes and wipes the copy afterwards. Meant only
     * for wrapping the key under a KEK; the callback must not keep the array.
     */
    public <R> R withKeyBytes(KeyBytesFunction<R> fn) {
        byte[] copy = copy();
        try {
            return fn.apply(copy);
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    /** A new, independent key with the same bytes (for a second owner with its own lifetime). */
    public DataKey duplicate() {
        return new DataKey(copy());
    }

    /**
     * A fresh copy for the JCA provider, through {@link ProviderKeyView} only, which wipes it once the
     * provider has taken what it needs.
     */
    byte[] copyForProvider() {
        return copy();
    }

    private byte[] copy() {
        byte[] copy = bytes.clone();
        if (destroyed) {
            Arrays.fill(copy, (byte) 0);
            throw new IllegalStateException("data key has been destroyed");
        }
        return copy;
    }

    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public String toString() {
        return destroyed ? "DataKey[destroyed]" : "DataKey[AES-256]";
    }
}
