package io.keyhold.crypto;

/** Big-endian integer helpers shared by the wire formats. */
final class Bytes {
    private Bytes() {
    }

    static void putInt(byte[] b, int pos, int v) {
        b[pos] = (byte) (v >>> 24);
        b[pos + 1] = (byte) (v >>> 16);
        b[pos + 2] = (byte) (v >>> 8);
        b[pos + 3] = (byte) v;
    }

    static int getInt(byte[] b, int pos) {
        return (b[pos] & 0xff) << 24 | (b[pos + 1] & 0xff) << 16 | (b[pos + 2] & 0xff) << 8 | (b[pos + 3] & 0xff);
    }

    static void putLong(byte[] b, int pos, long v) {
        putInt(b, pos, (int) (v >>> 32));
        putInt(b, pos + 4, (int) v);
    }

    static void putShort(byte[] b, int pos, int v) {
        b[pos] = (byte) (v >>> 8);
        b[pos + 1] = (byte) v;
    }

    static int getShort(byte[] b, int pos) {
        return (b[pos] & 0xff) << 8 | (b[pos + 1] & 0xff);
    }
}
