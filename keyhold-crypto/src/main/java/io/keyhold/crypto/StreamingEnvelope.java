package io.keyhold.crypto;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Segmented AES-256-GCM for payloads too large to hold in memory (snapshots, exports).
 *
 * <p>Layout: the envelope header (cipher 2) naming the KEK and wrapped DEK, then {@code u32 segment
 * size} and a 7-byte random nonce prefix; then segments of {@code segmentSize} plaintext bytes, each
 * encrypted separately with nonce {@code prefix || u32 index || u8 last}, tag appended. The last
 * segment (possibly empty) carries last = 1. Every segment authenticates the whole stream header
 * plus the caller's AAD, so segments cannot be modified, reordered, dropped, moved to another
 * stream, or cut off at the end without the reader noticing.
 */
public final class StreamingEnvelope {
    public static final int DEFAULT_SEGMENT_SIZE = 64 * 1024;
    static final int MIN_SEGMENT_SIZE = 64;
    static final int MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
    private static final int PREFIX_LENGTH = 7;
    private static final SecureRandom RANDOM = new SecureRandom();

    private StreamingEnvelope() {
    }

    /**
     * An output stream that encrypts into {@code out}. It takes ownership of {@code dek}'s key and
     * destroys it on close; {@code close()} writes the final segment and must be called.
     */
    public static OutputStream encrypting(OutputStream out, GeneratedDek dek, Aad aad) throws IOException {
        return encrypting(out, dek, aad, DEFAULT_SEGMENT_SIZE);
    }

    public static OutputStream encrypting(OutputStream out, GeneratedDek dek, Aad aad, int segmentSize) throws IOException {
        checkSegmentSize(segmentSize);
        byte[] envelopeHeader = EnvelopeFormat.encodeHeader(EnvelopeFormat.CIPHER_AES256_GCM_STREAM, dek.kek(), dek.edek());
        byte[] header = new byte[envelopeHeader.length + 4 + PREFIX_LENGTH];
        System.arraycopy(envelopeHeader, 0, header, 0, envelopeHeader.length);
        Bytes.putInt(header, envelopeHeader.length, segmentSize);
        byte[] prefix = new byte[PREFIX_LENGTH];
        RANDOM.nextBytes(prefix);
        System.arraycopy(prefix, 0, header, envelopeHeader.length + 4, PREFIX_LENGTH);
        out.write(header);
        return new Encrypting(out, dek.dek(), header, prefix, Objects.requireNonNull(aad, "aad"), segmentSize);
    }

    /**
     * An input stream that decrypts what {@link #encrypting} wrote; the DEK is unwrapped through
     * {@code unwrapper}, with {@code dekContext}, if {@code kekPolicy} allows the KEK the stream
     * names. Blocking, like the stream it reads: it waits for the unwrap, so never call it on an
     * event loop.
     *
     * @throws ForeignKekException when the stream is wrapped under a KEK the policy does not allow
     */
    public static InputStream decrypting(InputStream in, DekUnwrapper unwrapper, KekPolicy kekPolicy, EncryptionContext dekContext,
                                         Aad aad) throws IOException {
        Objects.requireNonNull(kekPolicy, "kekPolicy");
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        copyExactly(in, h, 4);                           // magic, version, cipher
        copyExactly(in, h, readLength(in, h, 1));        // provider
        copyExactly(in, h, readLength(in, h, 2));        // key id
        copyExactly(in, h, readLength(in, h, 1));        // key version
        copyExactly(in, h, readLength(in, h, 2));        // wrapped DEK
        int envelopeLength = h.size();
        copyExactly(in, h, 4 + PREFIX_LENGTH);           // segment size, nonce prefix
        byte[] header = h.toByteArray();
        EnvelopeFormat.Header parsed = EnvelopeFormat.parseHeader(header, 0, envelopeLength, EnvelopeFormat.CIPHER_AES256_GCM_STREAM);
        int segmentSize = Bytes.getInt(header, envelopeLength);
        checkSegmentSize(segmentSize);
        byte[] prefix = java.util.Arrays.copyOfRange(header, envelopeLength + 4, header.length);
        kekPolicy.check(parsed.kek());
        DataKey key = awaitUnwrap(unwrapper, parsed.kek(), parsed.edek(header, 0), Objects.requireNonNull(dekContext, "dekContext"));
        return new Decrypting(in, key, header, prefix, Objects.requireNonNull(aad, "aad"), segmentSize);
    }

    private static DataKey awaitUnwrap(DekUnwrapper unwrapper, KekRef kek, byte[] edek, EncryptionContext context) throws IOException {
        java.util.concurrent.CompletableFuture<DataKey> unwrapped = unwrapper.unwrap(kek, edek, context).toCompletableFuture();
        try {
            return unwrapped.get();
        } catch (InterruptedException e) {
            unwrapped.thenAccept(DataKey::destroy); // nobody will use a DEK that arrives now
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the data key");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = KmsFutures.cause(e);
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IOException("unwrapping the stream's data key failed", cause);
        }
    }

    private static void checkSegmentSize(int segmentSize) {
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new CryptoException("segment size must be " + MIN_SEGMENT_SIZE + ".." + MAX_SEGMENT_SIZE + " bytes, got " + segmentSize);
        }
    }

    private static int readLength(InputStream in, ByteArrayOutputStream h, int width) throws IOException {
        int v = 0;
        for (int i = 0; i < width; i++) {
            int b = in.read();
            if (b < 0) {
                throw new CryptoException("truncated stream header");
            }
            h.write(b);
            v = v << 8 | b;
        }
        return v;
    }

    private static void copyExactly(InputStream in, ByteArrayOutputStream h, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new CryptoException("truncated stream header");
        }
        h.write(b);
    }

    private static byte[] nonce(byte[] prefix, long index, boolean last) {
        if (index > 0xffffffffL) {
            throw new CryptoException("stream too long: more than 2^32 segments");
        }
        byte[] n = new byte[AesGcm.IV_LENGTH];
        System.arraycopy(prefix, 0, n, 0, PREFIX_LENGTH);
        Bytes.putInt(n, PREFIX_LENGTH, (int) index);
        n[AesGcm.IV_LENGTH - 1] = (byte) (last ? 1 : 0);
        return n;
    }

    private static final class Encrypting extends FilterOutputStream {
        private final DataKey key;
        private final byte[] segmentAad;
        private final byte[] prefix;
        private final byte[] buffer;
        private final byte[] sealed;
        private int buffered;
        private long index;
        private boolean closed;

        Encrypting(OutputStream out, DataKey key, byte[] header, byte[] prefix, Aad aad, int segmentSize) {
            super(out);
            this.key = key;
            this.segmentAad = AesGcm.concat(header, aad.bytes());
            this.prefix = prefix;
            this.buffer = new byte[segmentSize];
            this.sealed = new byte[segmentSize + AesGcm.TAG_LENGTH];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (closed) {
                throw new IOException("stream closed");
            }
            while (len > 0) {
                // A full buffer is sealed only once more data arrives: the last segment must carry last = 1.
                if (buffered == buffer.length) {
                    seal(false);
                }
                int n = Math.min(len, buffer.length - buffered);
                System.arraycopy(b, off, buffer, buffered, n);
                buffered += n;
                off += n;
                len -= n;
            }
        }

        private void seal(boolean last) throws IOException {
            AesGcm.encrypt(key, nonce(prefix, index++, last), segmentAad, buffer, 0, buffered, sealed, 0);
            out.write(sealed, 0, buffered + AesGcm.TAG_LENGTH);
            buffered = 0;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                seal(true);
                out.flush();
            } finally {
                java.util.Arrays.fill(buffer, (byte) 0);
                key.destroy();
                out.close();
            }
        }
    }

    private static final class Decrypting extends InputStream {
        private final InputStream in;
        private final DataKey key;
        private final byte[] segmentAad;
        private final byte[] prefix;
        private final int segmentSize;
        private byte[] plain = new byte[0];
        private int pos;
        private long index;
        private boolean done;
        private int lookahead = -2; // -2: none read yet

        Decrypting(InputStream in, DataKey key, byte[] header, byte[] prefix, Aad aad, int segmentSize) {
            this.in = in;
            this.key = key;
            this.segmentAad = AesGcm.concat(header, aad.bytes());
            this.prefix = prefix;
            this.segmentSize = segmentSize;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            while (pos == plain.length) {
                if (done) {
                    return -1;
                }
                nextSegment();
            }
            int n = Math.min(len, plain.length - pos);
            System.arraycopy(plain, pos, b, off, n);
            pos += n;
            return n;
        }

        private void nextSegment() throws IOException {
            int full = segmentSize + AesGcm.TAG_LENGTH;
            byte[] sealed = new byte[full];
            int have = 0;
            if (lookahead >= 0) {
                sealed[have++] = (byte) lookahead;
            }
            have += in.readNBytes(sealed, have, full - have);
            boolean last;
            if (have < full) {
                last = true;
            } else {
                lookahead = in.read();
                last = lookahead < 0;
            }
            if (have < AesGcm.TAG_LENGTH) {
                throw new CryptoException("truncated stream: segment " + index + " is incomplete");
            }
            java.util.Arrays.fill(plain, (byte) 0);
            try {
                plain = AesGcm.decrypt(key, nonce(prefix, index, last), 0, segmentAad, sealed, 0, have);
            } catch (CryptoException e) {
                throw new CryptoException("stream segment " + index + " failed authentication: the stream was modified, truncated, or bound to other associated data");
            }
            index++;
            pos = 0;
            done = last;
        }

        @Override
        public void close() throws IOException {
            java.util.Arrays.fill(plain, (byte) 0);
            key.destroy();
            in.close();
        }
    }

}
