package io.keyhold.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The envelope header, version 1 (see {@code docs/FORMAT.md}). All integers are big-endian.
 *
 * <pre>
 *   'K' 'H'                       magic
 *   u8  version                   1
 *   u8  cipher                    1 = AES-256-GCM record, 2 = AES-256-GCM segmented stream
 *   u8  n, n bytes                KEK provider (UTF-8, 1..255)
 *   u16 n, n bytes                KEK key id (UTF-8, 1..65535)
 *   u8  n, n bytes                KEK key version (UTF-8, 0..255)
 *   u16 n, n bytes                wrapped DEK (1..65535)
 * </pre>
 *
 * The header is authenticated: it is the first part of the AES-GCM associated data of everything
 * that follows it, so a change to any header byte makes decryption fail.
 *
 * <p>Version 2 is the compact layout of one record under a cluster key ({@link CompactEnvelope}):
 * a fixed-size header, and only the IV's counter stored.
 */
public final class EnvelopeFormat {
    public static final byte VERSION_1 = 1;
    /** The compact record layout under a cluster key, see {@link CompactEnvelope}. */
    public static final byte VERSION_2_COMPACT = 2;
    static final byte MAGIC_0 = 'K';
    static final byte MAGIC_1 = 'H';
    static final byte CIPHER_AES256_GCM = 1;
    static final byte CIPHER_AES256_GCM_STREAM = 2;

    private EnvelopeFormat() {
    }

    /** A parsed header: what it names and how long it is. */
    record Header(byte cipher, KekRef kek, int edekOffset, int edekLength, int length) {
        byte[] edek(byte[] buf, int off) {
            return Arrays.copyOfRange(buf, off + edekOffset, off + edekOffset + edekLength);
        }
    }

    static byte[] encodeHeader(byte cipher, KekRef kek, byte[] edek) {
        byte[] p = kek.provider().getBytes(StandardCharsets.UTF_8);
        byte[] k = kek.keyId().getBytes(StandardCharsets.UTF_8);
        byte[] v = kek.keyVersion().getBytes(StandardCharsets.UTF_8);
        byte[] h = new byte[4 + 1 + p.length + 2 + k.length + 1 + v.length + 2 + edek.length];
        int pos = 0;
        h[pos++] = MAGIC_0;
        h[pos++] = MAGIC_1;
        h[pos++] = VERSION_1;
        h[pos++] = cipher;
        h[pos++] = (byte) p.length;
        System.arraycopy(p, 0, h, pos, p.length);
        pos += p.length;
        Bytes.putShort(h, pos, k.length);
        System.arraycopy(k, 0, h, pos + 2, k.length);
        pos += 2 + k.length;
        h[pos++] = (byte) v.length;
        System.arraycopy(v, 0, h, pos, v.length);
        pos += v.length;
        Bytes.putShort(h, pos, edek.length);
        System.arraycopy(edek, 0, h, pos + 2, edek.length);
        return h;
    }

    /** Parses the header at {@code buf[off..off+len)}, which must carry the expected cipher. */
    static Header parseHeader(byte[] buf, int off, int len, byte expectedCipher) {
        Reader r = new Reader(buf, off, len);
        if (r.u8() != (MAGIC_0 & 0xff) || r.u8() != (MAGIC_1 & 0xff)) {
            throw new CryptoException("not a Keyhold envelope (bad magic)");
        }
        int version = r.u8();
        if (version == VERSION_2_COMPACT) {
            if (expectedCipher != CIPHER_AES256_GCM) {
                throw new CryptoException("a compact envelope holds one record, not a stream");
            }
            return CompactEnvelope.parseHeader(buf, off, len);
        }
        if (version != VERSION_1) {
            throw new CryptoException("unsupported envelope version " + version + " (this build reads versions 1 and 2)");
        }
        byte cipher = (byte) r.u8();
        if (cipher != expectedCipher) {
            throw new CryptoException("unexpected cipher id " + (cipher & 0xff) + " (expected " + expectedCipher + ")");
        }
        String provider = r.string(r.u8());
        String keyId = r.string(r.u16());
        String version2 = r.string(r.u8());
        int edekLen = r.u16();
        int edekOff = r.pos - off;
        r.skip(edekLen);
        if (provider.isEmpty() || keyId.isEmpty() || edekLen == 0) {
            throw new CryptoException("malformed envelope header (empty KEK reference or wrapped key)");
        }
        KekRef kek;
        try {
            kek = new KekRef(provider, keyId, version2);
        } catch (IllegalArgumentException e) {
            throw new CryptoException("malformed envelope header: " + e.getMessage());
        }
        return new Header(cipher, kek, edekOff, edekLen, r.pos - off);
    }

    /**
     * The length of the header at {@code buf[off..off+len)}, checking magic, version, cipher and
     * bounds but building nothing: the hot path uses it to find a cached DEK by the header's bytes.
     */
    static int headerLength(byte[] buf, int off, int len, byte expectedCipher) {
        int end = off + len;
        if (off >= 0 && len >= CompactEnvelope.HEADER_LENGTH && end <= buf.length && buf[off] == MAGIC_0 && buf[off + 1] == MAGIC_1
                && buf[off + 2] == VERSION_2_COMPACT) {
            return expectedCipher == CIPHER_AES256_GCM ? CompactEnvelope.HEADER_LENGTH : -1;
        }
        if (off < 0 || len < 7 || end > buf.length || buf[off] != MAGIC_0 || buf[off + 1] != MAGIC_1
                || buf[off + 2] != VERSION_1 || buf[off + 3] != expectedCipher) {
            return -1;
        }
        int pos = off + 4;
        pos += 1 + (buf[pos] & 0xff);
        if (pos + 2 > end) {
            return -1;
        }
        pos += 2 + Bytes.getShort(buf, pos);
        if (pos + 1 > end) {
            return -1;
        }
        pos += 1 + (buf[pos] & 0xff);
        if (pos + 2 > end) {
            return -1;
        }
        pos += 2 + Bytes.getShort(buf, pos);
        return pos > end ? -1 : pos - off;
    }

    /** How many IV bytes follow a record header that starts at {@code buf[off]} (well formed, see {@link #headerLength}). */
    static int storedIvLength(byte[] buf, int off) {
        return buf[off + 2] == VERSION_2_COMPACT ? CompactEnvelope.STORED_IV_LENGTH : AesGcm.IV_LENGTH;
    }

    /**
     * The 12-byte IV of the record envelope at {@code buf[off]} whose header is {@code headerLength}
     * bytes: where it lies in {@code buf} (version 1), or rebuilt into {@code scratch} (compact).
     * Returns the array holding it; its offset is {@link #ivOffset}.
     */
    static byte[] iv(byte[] buf, int off, int headerLength, byte[] scratch) {
        if (buf[off + 2] != VERSION_2_COMPACT) {
            return buf;
        }
        CompactEnvelope.iv(buf, off, scratch);
        return scratch;
    }

    /** Where in the array {@link #iv} returned the IV starts. */
    static int ivOffset(byte[] buf, int off, int headerLength) {
        return buf[off + 2] == VERSION_2_COMPACT ? 0 : off + headerLength;
    }

    /** The KEK an envelope's DEK is wrapped under, without decrypting anything (for rotation tooling). */
    public static KekRef kekOf(byte[] envelope) {
        return parseHeader(envelope, 0, envelope.length, CIPHER_AES256_GCM).kek();
    }

    /** Bounds-checked sequential reader; every overrun is a {@link CryptoException}, never an index error. */
    private static final class Reader {
        private final byte[] buf;
        private final int end;
        private int pos;

        Reader(byte[] buf, int off, int len) {
            if (off < 0 || len < 0 || off + len > buf.length) {
                throw new CryptoException("envelope slice out of range");
            }
            this.buf = buf;
            this.pos = off;
            this.end = off + len;
        }

        private void need(int n) {
            if (end - pos < n) {
                throw new CryptoException("truncated envelope header");
            }
        }

        int u8() {
            need(1);
            return buf[pos++] & 0xff;
        }

        int u16() {
            need(2);
            int v = Bytes.getShort(buf, pos);
            pos += 2;
            return v;
        }

        void skip(int n) {
            need(n);
            pos += n;
        }

        String string(int n) {
            need(n);
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }
    }
}
