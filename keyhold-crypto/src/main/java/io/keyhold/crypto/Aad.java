package io.keyhold.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Associated data: the context a ciphertext is bound to (for example a topic name).
 *
 * <p>Every encrypt and decrypt call in this module takes an {@code Aad}; there is no overload without
 * one, so a ciphertext can never be silently moved to another context. AAD is authenticated but not
 * encrypted, and must not be empty.
 */
public final class Aad {
    private final byte[] bytes;

    private Aad(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("associated data must not be empty: bind the ciphertext to a context");
        }
        this.bytes = bytes;
    }

    /** AAD from the UTF-8 bytes of {@code context}. */
    public static Aad of(String context) {
        return new Aad(Objects.requireNonNull(context, "context").getBytes(StandardCharsets.UTF_8));
    }

    /** AAD from raw bytes (copied). */
    public static Aad of(byte[] context) {
        return new Aad(Objects.requireNonNull(context, "context").clone());
    }

    /** AAD made of several labelled parts, each length-prefixed so that ("ab","c") differs from ("a","bc"). */
    public static Aad ofParts(String... parts) {
        int size = 0;
        byte[][] encoded = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            encoded[i] = Objects.requireNonNull(parts[i], "part").getBytes(StandardCharsets.UTF_8);
            size += 4 + encoded[i].length;
        }
        byte[] out = new byte[size];
        int pos = 0;
        for (byte[] part : encoded) {
            Bytes.putInt(out, pos, part.length);
            System.arraycopy(part, 0, out, pos + 4, part.length);
            pos += 4 + part.length;
        }
        return new Aad(out);
    }

    /**
     * This AAD followed by {@code tail[off, off+len)}: what {@link EnvelopeEncryptor.Sealer} and
     * {@link EnvelopeDecryptor.Opener} bind an envelope to when given a per-envelope tail, for callers
     * that seal one envelope at a time.
     */
    public Aad append(byte[] tail, int off, int len) {
        Objects.checkFromIndexSize(off, len, tail.length);
        byte[] out = java.util.Arrays.copyOf(bytes, bytes.length + len);
        System.arraycopy(tail, off, out, bytes.length, len);
        return new Aad(out);
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Aad && Arrays.equals(bytes, ((Aad) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Aad[" + bytes.length + " bytes]";
    }
}
