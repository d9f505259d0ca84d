package io.keyhold.crypto;

import java.util.Objects;

/**
 * Opens envelopes written by {@link EnvelopeEncryptor}: finds the DEK through the
 * {@link DecryptionDekCache} (one KMS unwrap per distinct DEK) and authenticates everything, header
 * included, against the caller's AAD. Thread-safe.
 */
public final class EnvelopeDecryptor {
    private final DecryptionDekCache deks;

    public EnvelopeDecryptor(DecryptionDekCache deks) {
        this.deks = Objects.requireNonNull(deks, "deks");
    }

    public byte[] decrypt(byte[] envelope, Aad aad) {
        return decrypt(envelope, 0, envelope.length, aad);
    }

    /**
     * @throws CryptoException when the envelope is malformed, was modified, or is bound to other AAD
     */
    public byte[] decrypt(byte[] buf, int off, int len, Aad aad) {
        Objects.requireNonNull(aad, "aad");
        int headerLength = EnvelopeFormat.headerLength(buf, off, len, EnvelopeFormat.CIPHER_AES256_GCM);
        if (headerLength < 0) {
            // Not well formed: parse fully, only to say precisely what is wrong.
            EnvelopeFormat.parseHeader(buf, off, len, EnvelopeFormat.CIPHER_AES256_GCM);
            throw new CryptoException("malformed envelope header");
        }
        int ivOff = off + headerLength;
        int ctOff = ivOff + AesGcm.IV_LENGTH;
        int ctLen = off + len - ctOff;
        if (ctLen < AesGcm.TAG_LENGTH) {
            throw new CryptoException("truncated envelope: no room for IV and authentication tag");
        }
        SharedKey key = deks.acquire(buf, off, headerLength);
        try {
            return AesGcm.decrypt(key.key(), buf, ivOff, key.recordAad(aad), buf, ctOff, ctLen);
        } finally {
            key.release();
        }
    }
}
