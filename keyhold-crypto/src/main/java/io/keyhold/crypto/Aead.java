package io.keyhold.crypto;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * AES-256-GCM for small values under a key Keyhold holds itself (the local KMS's key store and its
 * key versions): {@code seal} returns {@code IV(12) || ciphertext || tag(16)} with a random IV.
 * Record data uses {@link EnvelopeEncryptor} instead. AAD is mandatory, as everywhere.
 */
public final class Aead {
    /** Bytes {@link #seal} adds to the plaintext. */
    public static final int OVERHEAD = AesGcm.IV_LENGTH + AesGcm.TAG_LENGTH;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Aead() {
    }

    public static byte[] seal(DataKey key, byte[] plaintext, Aad aad) {
        Objects.requireNonNull(aad, "aad");
        byte[] iv = new byte[AesGcm.IV_LENGTH];
        RANDOM.nextBytes(iv);
        byte[] out = new byte[OVERHEAD + plaintext.length];
        System.arraycopy(iv, 0, out, 0, iv.length);
        AesGcm.encrypt(key, iv, aad.bytes(), plaintext, 0, plaintext.length, out, iv.length);
        return out;
    }

    /** @throws CryptoException when {@code sealed} was modified, or the key or AAD differ */
    public static byte[] open(DataKey key, byte[] sealed, Aad aad) {
        Objects.requireNonNull(aad, "aad");
        if (sealed.length < OVERHEAD) {
            throw new CryptoException("sealed value too short");
        }
        return AesGcm.decrypt(key, sealed, 0, aad.bytes(), sealed, AesGcm.IV_LENGTH, sealed.length - AesGcm.IV_LENGTH);
    }
}
