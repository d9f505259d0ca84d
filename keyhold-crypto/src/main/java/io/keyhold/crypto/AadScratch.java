package io.keyhold.crypto;

import java.util.Arrays;

/**
 * The associated data of a run of envelopes that share their record AAD ({@code SHA-256(header) ||
 * context}) and differ only in a short per-envelope tail (a Kafka record's kind and key): the record
 * AAD stays at the front, rewritten only when the DEK changes, and each envelope's tail is written
 * once, straight behind it, by whoever knows it. Nothing secret is kept here. Not thread-safe: one per
 * {@link EnvelopeEncryptor.Sealer} or {@link EnvelopeDecryptor.Opener}.
 */
final class AadScratch {
    private final int tailOffset;
    private byte[] bytes;

    AadScratch(Aad context) {
        this.tailOffset = SharedKey.HEADER_DIGEST_LENGTH + context.bytes().length;
        this.bytes = new byte[tailOffset + 64];
    }

    /** Where a tail starts: the record AAD's length, the same for every DEK of the run. */
    int tailOffset() {
        return tailOffset;
    }

    /** The array, with room for a tail of up to {@code maxTailLength} bytes at {@link #tailOffset()}. */
    byte[] room(int maxTailLength) {
        if (maxTailLength < 0 || maxTailLength > Integer.MAX_VALUE - 16 - tailOffset) {
            throw new IllegalArgumentException("invalid AAD tail length " + maxTailLength);
        }
        int needed = tailOffset + maxTailLength;
        if (bytes.length < needed) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(needed, 2L * bytes.length)));
        }
        return bytes;
    }

    /** Copies {@code tail[off, off+len)} behind the record AAD. */
    void putTail(byte[] tail, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, tail.length);
        System.arraycopy(tail, off, room(len), tailOffset, len);
    }

    /** Puts the record AAD of a new DEK in front (a tail already written stays). */
    void prefix(byte[] recordAad) {
        if (recordAad.length != tailOffset) {
            throw new IllegalStateException("record AAD of " + recordAad.length + " bytes, expected " + tailOffset);
        }
        System.arraycopy(recordAad, 0, bytes, 0, tailOffset);
    }

    /** The associated data so far: {@code bytes()[0, tailOffset() + tailLength)}. */
    byte[] bytes() {
        return bytes;
    }
}
