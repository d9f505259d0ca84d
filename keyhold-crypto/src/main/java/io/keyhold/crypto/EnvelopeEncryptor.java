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
        EncryptionContext context;
        ActiveDek dek;
        Aad aad;          // the last context bound, and
        byte[] recordAad; // SHA-256(header of dek) || aad, reused while both stay the same
    }

    public EnvelopeEncryptor(EncryptionDekCache deks) {
        this.deks = Objects.requireNonNull(deks, "deks");
    }

    /**
     * @param kekId      the KEK to wrap DEKs under
     * @param dekContext which DEK to use under that KEK (e.g. the cluster and topic), bound to the DEK
     *                   by the KMS: DEKs are never shared across contexts
     * @param aad        what the ciphertext is bound to; decryption needs the same
     * @throws DekPendingException when the DEK for {@code (kekId, dekContext)} is still on its way
     *                             from the KMS: retry once its {@code ready()} completes
     */
    public byte[] encrypt(String kekId, EncryptionContext dekContext, byte[] plaintext, Aad aad) {
        return encrypt(kekId, dekContext, plaintext, 0, plaintext.length, aad);
    }

    public byte[] encrypt(String kekId, EncryptionContext dekContext, byte[] plaintext, int off, int len, Aad aad) {
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
            byte[] out = new byte[envelopeLength(dek, len)];
            sealInto(dek, use, memo.recordAad, plaintext, off, len, out, 0);
            return out;
        } finally {
            dek.release();
        }
    }

    private static int envelopeLength(ActiveDek dek, int plaintextLength) {
        return dek.header().length + dek.storedIvLength() + plaintextLength + AesGcm.TAG_LENGTH;
    }

    /** Writes header, IV, ciphertext and tag at {@code out[outOff]}; the caller holds a use of {@code dek}. */
    private static void sealInto(ActiveDek dek, long use, byte[] recordAad, byte[] pt, int off, int len, byte[] out, int outOff) {
        sealInto(AesGcm.threadCipher(), dek, use, recordAad, pt, off, len, out, outOff);
    }

    private static void sealInto(AesGcm.ThreadCipher cipher, ActiveDek dek, long use, byte[] recordAad,
                                 byte[] pt, int off, int len, byte[] out, int outOff) {
        sealInto(cipher, dek, use, recordAad, recordAad.length, pt, off, len, out, outOff);
    }

    /** As above, with the associated data in {@code aad[0, aadLength)}. */
    private static void sealInto(AesGcm.ThreadCipher cipher, ActiveDek dek, long use, byte[] aad, int aadLength,
                                 byte[] pt, int off, int len, byte[] out, int outOff) {
        byte[] header = dek.header();
        System.arraycopy(header, 0, out, outOff, header.length);
        int ivOff = outOff + header.length;
        byte[] iv = dek.iv(use, out, ivOff, cipher.ivScratch);
        AesGcm.encrypt(cipher, dek.key(), iv, iv == out ? ivOff : 0, aad, aadLength, pt, off, len, out,
                ivOff + dek.storedIvLength());
    }

    /**
     * Asks for the DEK of {@code (kekId, dekContext)} ahead of use, unless it is there or on its way;
     * the stage completes when an encryption can find it (exceptionally with the KMS's error).
     */
    public java.util.concurrent.CompletableFuture<Void> prepare(String kekId, EncryptionContext dekContext) {
        return deks.prepare(kekId, dekContext);
    }

    /**
     * A sealer for a run of payloads that share KEK, DEK context and AAD (the records of one batch):
     * it writes envelopes straight into the caller's array, with no allocation per payload. Use it
     * from one thread, and close it.
     */
    public Sealer sealer(String kekId, EncryptionContext dekContext, Aad aad) {
        return new Sealer(Objects.requireNonNull(kekId, "kekId"), Objects.requireNonNull(dekContext, "dekContext"),
                Objects.requireNonNull(aad, "aad"));
    }

    /**
     * Seals payloads one by one: {@link #envelopeLength} says how many bytes the next envelope takes
     * (DEKs rotate, and a new DEK may have a header of another length), then {@link #seal} writes it.
     * Both throw {@link DekPendingException} when a new DEK is needed and not yet there.
     */
    public final class Sealer implements AadTailRoom, AutoCloseable {
        private final String kekId;
        private final EncryptionContext dekContext;
        private final Aad aad;
        private final AesGcm.ThreadCipher cipher = AesGcm.threadCipher();
        private ActiveDek held;      // the DEK this sealer holds one use of (acquired), or null
        private long use = -1;       // the reserved use (IV counter) of held, or -1
        private byte[] recordAad;    // for held
        private final AadScratch withTail; // recordAad of held || the next envelope's tail
        private boolean closed;

        private Sealer(String kekId, EncryptionContext dekContext, Aad aad) {
            this.kekId = kekId;
            this.dekContext = dekContext;
            this.aad = aad;
            this.withTail = new AadScratch(aad);
        }

        /** The envelope length for {@code plaintextLength} bytes under the DEK the next {@link #seal} uses. */
        public int envelopeLength(int plaintextLength) {
            if (plaintextLength < 0) {
                throw new IllegalArgumentException("negative plaintext length");
            }
            reserve();
            return EnvelopeEncryptor.envelopeLength(held, plaintextLength);
        }

        /**
         * Encrypts {@code pt[off, off+len)} into {@code out} at {@code outOff}, using exactly
         * {@link #envelopeLength envelopeLength(len)} bytes; returns that length.
         */
        public int seal(byte[] pt, int off, int len, byte[] out, int outOff) {
            int n = envelopeLength(len);
            Objects.checkFromIndexSize(off, len, pt.length);
            Objects.checkFromIndexSize(outOff, n, out.length);
            long u = use;
            use = -1;
            sealInto(cipher, held, u, recordAad, recordAad.length, pt, off, len, out, outOff);
            return n;
        }

        /**
         * As {@link #seal(byte[], int, int, byte[], int)}, binding this one envelope to more context:
         * its AAD is the sealer's AAD followed by {@code tail[tailOff, tailOff+tailLen)} (for a Kafka
         * record: what kind of payload it is and the record's key). {@link EnvelopeDecryptor.Opener#open(byte[],
         * int, int, byte[], int, byte[], int, int)} opens it with the same tail. The caller encodes the tail
         * unambiguously (it is the last part of the AAD, so only its own fields need delimiting).
         */
        public int seal(byte[] pt, int off, int len, byte[] out, int outOff, byte[] tail, int tailOff, int tailLen) {
            reserve();
            withTail.putTail(tail, tailOff, tailLen);
            return sealWithTail(pt, off, len, out, outOff, tailLen);
        }

        /**
         * Where the next envelope's AAD tail goes, for a caller that writes it there itself instead of
         * handing it to {@link #seal(byte[], int, int, byte[], int, byte[], int, int)} (one copy fewer):
         * write up to {@code maxTailLength} bytes at {@link #tailOffset()} of the returned array, then call
         * {@link #sealWithTail}. The array is the sealer's; it is valid until the next call on the sealer.
         */
        @Override
        public byte[] tailBuffer(int maxTailLength) {
            reserve();
            return withTail.room(maxTailLength);
        }

        /** Where in {@link #tailBuffer}'s array the tail starts. */
        @Override
        public int tailOffset() {
            return withTail.tailOffset();
        }

        /**
         * As {@link #seal(byte[], int, int, byte[], int, byte[], int, int)}, with the tail the caller
         * wrote into {@link #tailBuffer}: {@code tailLength} bytes at {@link #tailOffset()}.
         */
        public int sealWithTail(byte[] pt, int off, int len, byte[] out, int outOff, int tailLength) {
            int n = envelopeLength(len);
            Objects.checkFromIndexSize(off, len, pt.length);
            Objects.checkFromIndexSize(outOff, n, out.length);
            byte[] fullAad = withTail.bytes();
            Objects.checkFromIndexSize(withTail.tailOffset(), tailLength, fullAad.length);
            long u = use;
            use = -1;
            sealInto(cipher, held, u, fullAad, withTail.tailOffset() + tailLength, pt, off, len, out, outOff);
            return n;
        }

        /**
         * Reserves the next use: usually of the DEK already held (a counter step, no cache lookup);
         * when that DEK is retired, used up or too old, of the cache's current one.
         */
        private void reserve() {
            if (closed) {
                throw new IllegalStateException("sealer is closed");
            }
            if (use >= 0) {
                return;
            }
            if (held != null) {
                long u = held.tryNextUse(deks.now());
                if (u >= 0) {
                    use = u;
                    return;
                }
                held.release();
                held = null;
            }
            EncryptionDekCache.Lease lease = deks.lease(kekId, dekContext);
            held = lease.dek;
            use = lease.use;
            recordAad = held.recordAad(aad);
            withTail.prefix(recordAad);
        }

        /** Gives back the held DEK (a reserved but unused IV is simply skipped); the sealer refuses further use. */
        @Override
        public void close() {
            if (held != null) {
                held.release();
                held = null;
            }
            closed = true;
        }
    }
}
