package io.keyhold.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * Opens envelopes written by {@link EnvelopeEncryptor}: finds the DEK through the
 * {@link DecryptionDekCache} (one KMS unwrap per distinct DEK, only under the KEKs the cache's
 * {@link KekPolicy} allows) and authenticates everything, header included, against the caller's
 * AAD. Thread-safe.
 */
public final class EnvelopeDecryptor {
    private final DecryptionDekCache deks;
    /**
     * The header and DEK this thread decrypted with last: consecutive records of a fetched batch
     * almost always share one DEK, so a byte comparison replaces the cache lookup. A key that was
     * evicted or purged meanwhile refuses {@code acquire()}, which sends us back to the cache.
     */
    private final ThreadLocal<LastKey> last = new ThreadLocal<>();

    private static final class LastKey {
        byte[] header = new byte[0];
        SharedKey key;
        EncryptionContext context;
        Aad aad;
        byte[] recordAad;
    }

    public EnvelopeDecryptor(DecryptionDekCache deks) {
        this.deks = Objects.requireNonNull(deks, "deks");
    }

    /** @see #decrypt(byte[], int, int, EncryptionContext, Aad) */
    public byte[] decrypt(byte[] envelope, EncryptionContext dekContext, Aad aad) {
        return decrypt(envelope, 0, envelope.length, dekContext, aad);
    }

    /**
     * @param dekContext the encryption context the envelope's DEK was wrapped with (the cluster and topic)
     * @throws CryptoException     when the envelope is malformed, was modified, or is bound to other AAD;
     *                             {@link ForeignKekException} when it is under a KEK the policy does not allow
     * @throws DekPendingException when its DEK is being unwrapped: retry once {@code ready()} completes
     */
    public byte[] decrypt(byte[] buf, int off, int len, EncryptionContext dekContext, Aad aad) {
        int ctLen = ciphertextLength(buf, off, len);
        byte[] out = new byte[ctLen - AesGcm.TAG_LENGTH];
        decrypt(buf, off, len, dekContext, aad, out, 0);
        return out;
    }

    /**
     * Opens the envelope at {@code buf[off, off+len)} into {@code out} at {@code outOff}, with no
     * allocation; returns the plaintext length. {@code out} needs room for {@code len} bytes (the
     * plaintext is always shorter than its envelope).
     *
     * @throws CryptoException     when the envelope is malformed, was modified, or is bound to other AAD;
     *                             {@link ForeignKekException} when it is under a KEK the policy does not allow
     * @throws DekPendingException when its DEK is being unwrapped: retry once {@code ready()} completes
     */
    public int decrypt(byte[] buf, int off, int len, EncryptionContext dekContext, Aad aad, byte[] out, int outOff) {
        Objects.requireNonNull(aad, "aad");
        Objects.requireNonNull(dekContext, "dekContext");
        Objects.checkFromIndexSize(off, len, buf.length);
        int headerLength = headerLength(buf, off, len);
        int ctOff = off + headerLength + EnvelopeFormat.storedIvLength(buf, off);
        int ctLen = ciphertextLength(buf, off, len);
        Objects.checkFromIndexSize(outOff, ctLen - AesGcm.TAG_LENGTH, out.length);
        LastKey memo = last.get();
        if (memo == null) {
            memo = new LastKey();
            last.set(memo);
        }
        SharedKey key = memo.key;
        boolean sameHeader = key != null && dekContext.equals(memo.context)
                && Arrays.equals(memo.header, 0, memo.header.length, buf, off, off + headerLength);
        if (!sameHeader || !key.acquire()) {
            key = deks.acquire(buf, off, headerLength, dekContext);
            memo.header = Arrays.copyOfRange(buf, off, off + headerLength);
            memo.key = key;
            memo.context = dekContext;
            memo.aad = null;
        }
        try {
            if (!aad.equals(memo.aad)) {
                memo.aad = aad;
                memo.recordAad = key.recordAad(aad);
            }
            AesGcm.ThreadCipher tc = AesGcm.threadCipher();
            byte[] iv = EnvelopeFormat.iv(buf, off, headerLength, tc.ivScratch);
            AesGcm.decrypt(tc, key.key(), iv, EnvelopeFormat.ivOffset(buf, off, headerLength), memo.recordAad, buf, ctOff, ctLen,
                    out, outOff);
            return ctLen - AesGcm.TAG_LENGTH;
        } finally {
            key.release();
        }
    }

    /**
     * An opener for a run of envelopes with one DEK context and one AAD (the records of one fetched batch), for one
     * thread: it keeps the DEK of the previous envelope acquired while the next ones carry the same
     * header, so a run under one DEK costs one cache lookup and one acquire, not one per envelope
     * (threads decrypting parts of one fetch would otherwise contend on the key's use count). A
     * purge during the run takes effect when the opener is closed: close it promptly.
     */
    public Opener opener(EncryptionContext dekContext, Aad aad) {
        return new Opener(Objects.requireNonNull(dekContext, "dekContext"), Objects.requireNonNull(aad, "aad"));
    }

    public final class Opener implements AadTailRoom, AutoCloseable {
        private final EncryptionContext dekContext;
        private final Aad aad;
        private final AesGcm.ThreadCipher cipher = AesGcm.threadCipher();
        private byte[] header = new byte[0];
        private SharedKey key;
        private byte[] recordAad;
        private final AadScratch withTail; // recordAad || the next envelope's tail

        private Opener(EncryptionContext dekContext, Aad aad) {
            this.dekContext = dekContext;
            this.aad = aad;
            this.withTail = new AadScratch(aad);
        }

        /**
         * As {@link EnvelopeDecryptor#decrypt(byte[], int, int, EncryptionContext, Aad, byte[], int)}, with this
         * opener's context and AAD.
         *
         * @throws CryptoException          when the envelope is malformed, was modified, or is bound to other AAD
         * @throws DekPendingException      when its DEK is being unwrapped: retry once {@code ready()} completes
         * @throws IllegalStateException    when the opener is used after {@link #close()}
         */
        public int open(byte[] buf, int off, int len, byte[] out, int outOff) {
            return open(buf, off, len, out, outOff, null, 0, 0);
        }

        /**
         * As {@link #open(byte[], int, int, byte[], int)} for an envelope sealed with a per-envelope AAD tail
         * ({@link EnvelopeEncryptor.Sealer#seal(byte[], int, int, byte[], int, byte[], int, int)}): the
         * opener's AAD followed by {@code tail[tailOff, tailOff+tailLen)}; {@code tail} null means none.
         */
        public int open(byte[] buf, int off, int len, byte[] out, int outOff, byte[] tail, int tailOff, int tailLen) {
            if (tail == null) {
                return open(buf, off, len, out, outOff, false, 0);
            }
            withTail.putTail(tail, tailOff, tailLen);
            return open(buf, off, len, out, outOff, true, tailLen);
        }

        /**
         * Where the next envelope's AAD tail goes, for a caller that writes it there itself (one copy
         * fewer): up to {@code maxTailLength} bytes at {@link #tailOffset()} of the returned array, then
         * {@link #openWithTail}. The array is the opener's; it is valid until the next call on the opener.
         */
        @Override
        public byte[] tailBuffer(int maxTailLength) {
            return withTail.room(maxTailLength);
        }

        /** Where in {@link #tailBuffer}'s array the tail starts. */
        @Override
        public int tailOffset() {
            return withTail.tailOffset();
        }

        /** As {@link #open(byte[], int, int, byte[], int, byte[], int, int)}, with the tail written into {@link #tailBuffer}. */
        public int openWithTail(byte[] buf, int off, int len, byte[] out, int outOff, int tailLength) {
            return open(buf, off, len, out, outOff, true, tailLength);
        }

        private int open(byte[] buf, int off, int len, byte[] out, int outOff, boolean tail, int tailLen) {
            if (header == null) {
                throw new IllegalStateException("opener is closed");
            }
            Objects.checkFromIndexSize(off, len, buf.length);
            int headerLength = headerLength(buf, off, len);
            int ctOff = off + headerLength + EnvelopeFormat.storedIvLength(buf, off);
            int ctLen = ciphertextLength(buf, off, len);
            Objects.checkFromIndexSize(outOff, ctLen - AesGcm.TAG_LENGTH, out.length);
            if (key == null || !Arrays.equals(header, 0, header.length, buf, off, off + headerLength)) {
                releaseKey();
                key = deks.acquire(buf, off, headerLength, dekContext);
                header = Arrays.copyOfRange(buf, off, off + headerLength);
                recordAad = key.recordAad(aad);
                withTail.prefix(recordAad);
            }
            byte[] fullAad = recordAad;
            int aadLength = recordAad.length;
            if (tail) {
                fullAad = withTail.bytes();
                Objects.checkFromIndexSize(withTail.tailOffset(), tailLen, fullAad.length);
                aadLength += tailLen;
            }
            byte[] iv = EnvelopeFormat.iv(buf, off, headerLength, cipher.ivScratch);
            AesGcm.decrypt(cipher, key.key(), iv, EnvelopeFormat.ivOffset(buf, off, headerLength), fullAad, aadLength, buf, ctOff,
                    ctLen, out, outOff);
            return ctLen - AesGcm.TAG_LENGTH;
        }

        private void releaseKey() {
            if (key != null) {
                key.release();
                key = null;
            }
        }

        @Override
        public void close() {
            releaseKey();
            header = null;
        }
    }

    /** Length of the header of a record envelope; a malformed one is a {@link CryptoException}. */
    private static int headerLength(byte[] buf, int off, int len) {
        int headerLength = EnvelopeFormat.headerLength(buf, off, len, EnvelopeFormat.CIPHER_AES256_GCM);
        if (headerLength < 0) {
            // Not well formed: parse fully, only to say precisely what is wrong.
            EnvelopeFormat.parseHeader(buf, off, len, EnvelopeFormat.CIPHER_AES256_GCM);
            throw new CryptoException("malformed envelope header");
        }
        return headerLength;
    }

    /** Length of ciphertext plus tag in a well-formed envelope (version 1: 12 IV bytes stored; compact: 4). */
    private static int ciphertextLength(byte[] buf, int off, int len) {
        int headerLength = headerLength(buf, off, len);
        int ctLen = len - headerLength - EnvelopeFormat.storedIvLength(buf, off);
        if (ctLen < AesGcm.TAG_LENGTH) {
            throw new CryptoException("truncated envelope: no room for IV and authentication tag");
        }
        return ctLen;
    }
}
