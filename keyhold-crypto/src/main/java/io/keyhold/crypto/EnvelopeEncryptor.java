package io.keyhold.crypto;

import java.util.Objects;

/**
 * Encrypts one payload (a record, a value) into a self-describing envelope: header naming the KEK
 * and the wrapped DEK, a 96-bit IV, then AES-256-GCM ciphertext and tag. See {@code docs/FORMAT.md}.
 * Thread-safe.
 */
public final class EnvelopeEncryptor {
    private final EncryptionDekCache deks;
    /**
     * The DEK this thread used last, and for what: consecutive records of one batch almost always
     * share (KEK, context), so they skip the cache lookup. The DEK's own use counter still enforces
     * the rotation policy, and a purged DEK refuses further use, sending us back to the cache.
     */
    private final ThreadLocal<LastDek> last = new ThreadLocal<>();

    private static final class LastDek {
        String kekId;
        String context;
        ActiveDek dek;
        Aad aad;          // the last context bound, and
        byte[] recordAad; // SHA-256(header of dek) || aad, reused while both stay the same
    }

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
        LastDek memo = last.get();
        ActiveDek dek = null;
        long use = -1;
        if (memo != null && memo.kekId.equals(kekId) && memo.context.equals(dekContext)) {
            dek = memo.dek;
            use = dek.tryUse(deks.now());
        }
        if (use < 0) {
            EncryptionDekCache.Lease lease = deks.lease(kekId, dekContext);
            dek = lease.dek;
            use = lease.use;
            if (memo == null) {
                memo = new LastDek();
                last.set(memo);
            }
            memo.kekId = kekId;
            memo.context = dekContext;
            memo.dek = dek;
            memo.aad = null;
        }
        if (!aad.equals(memo.aad)) {
            memo.aad = aad;
            memo.recordAad = dek.recordAad(aad);
        }
        try {
            byte[] header = dek.header();
            byte[] out = new byte[header.length + AesGcm.IV_LENGTH + len + AesGcm.TAG_LENGTH];
            System.arraycopy(header, 0, out, 0, header.length);
            byte[] iv = new byte[AesGcm.IV_LENGTH];
            dek.iv(use, iv);
            System.arraycopy(iv, 0, out, header.length, iv.length);
            AesGcm.encrypt(dek.key(), iv, memo.recordAad, plaintext, off, len, out, header.length + iv.length);
            return out;
        } finally {
            dek.release();
        }
    }
}
