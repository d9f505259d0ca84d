package io.keyhold.crypto;

import java.util.Objects;

/**
 * Encrypts one payload (a record, a value) into a self-describing envelope: header naming the KEK
 * and the wrapped DEK, a 96-bit IV, then AES-256-GCM ciphertext and tag. See {@code docs/FORMAT.md}.
 * Thread-safe.
 */
public final class EnvelopeEncryptor {
    private final EncryptionDekCache deks;

    public EnvelopeEncryptor(EncryptionDekCache deks) {
        this.deks = Objects.requireNonNull(deks, "deks");
    }

    /**
     * @param kekId      the KEK to wrap DEKs under
     * @param dekContext which DEK to use under that KEK (e.g. the topic): DEKs are never shared across contexts
     * @param aad        what the ciphertext is bound to; decryption needs the same
     */
    public byte[] encrypt(String kekId, String dekContext, byte[] plaintext, Aad aad) {
        return encrypt(kekId, dekContext, plaintext, 0, plaintext.length, aad);
    }

    public byte[] encrypt(String kekId, String dekContext, byte[] plaintext, int off, int len, Aad aad) {
        Objects.requireNonNull(aad, "aad");
        Objects.checkFromIndexSize(off, len, plaintext.length);
        EncryptionDekCache.Lease lease = deks.lease(kekId, dekContext);
        try {
            byte[] header = lease.dek.header();
            byte[] out = new byte[header.length + AesGcm.IV_LENGTH + len + AesGcm.TAG_LENGTH];
            System.arraycopy(header, 0, out, 0, header.length);
            byte[] iv = new byte[AesGcm.IV_LENGTH];
            lease.dek.iv(lease.use, iv);
            System.arraycopy(iv, 0, out, header.length, iv.length);
            AesGcm.encrypt(lease.dek.key(), iv, header, header.length, aad.bytes(),
                    plaintext, off, len, out, header.length + iv.length);
            return out;
        } finally {
            lease.release();
        }
    }
}
