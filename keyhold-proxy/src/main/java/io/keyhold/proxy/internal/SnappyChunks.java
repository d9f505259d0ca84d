package io.keyhold.proxy.internal;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * Checks a snappy-compressed record batch (snappy-java's stream format, which Kafka writes: a
 * 16-byte header, then chunks of a 4-byte length and raw snappy data starting with the chunk's
 * uncompressed length as a varint) before it is decompressed. The decompressor allocates what each
 * chunk declares, compressed and uncompressed, before reading it (up to 512 MiB a chunk), so a
 * batch of a few bytes could make it allocate that much. Here every declared length must fit in
 * the bytes present and in the request's {@link DecompressionBudget}.
 */
final class SnappyChunks {
    private static final byte[] MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    private static final int HEADER_SIZE = MAGIC.length + 8; // magic, version, compatible version

    private SnappyChunks() {
    }

    /** @throws CorruptRecordException a declared length does not fit */
    static void check(ByteBuffer compressed, DecompressionBudget budget) {
        int pos = compressed.position();
        int end = compressed.limit();
        if (!hasMagic(compressed, pos, end)) {
            // Without the header, the decompressor takes the whole input as one raw snappy block.
            checkUncompressed(compressed, pos, end, budget);
            return;
        }
        pos += HEADER_SIZE;
        while (pos < end) {
            if (end - pos < 4) {
                throw new CorruptRecordException("snappy stream ends inside a chunk length");
            }
            int length = compressed.getInt(pos);
            pos += 4;
            if (length < 0 || length > end - pos) {
                throw new CorruptRecordException("snappy chunk of " + length + " bytes in a batch with " + (end - pos) + " left");
            }
            checkUncompressed(compressed, pos, pos + length, budget);
            pos += length;
        }
    }

    private static boolean hasMagic(ByteBuffer b, int pos, int end) {
        if (end - pos < HEADER_SIZE) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(pos + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** The raw snappy block at {@code [pos, end)} declares its uncompressed length first (an unsigned varint of up to 32 bits). */
    private static void checkUncompressed(ByteBuffer b, int pos, int end, DecompressionBudget budget) {
        long length = 0;
        for (int shift = 0; ; shift += 7) {
            if (pos >= end || shift > 28) {
                throw new CorruptRecordException("snappy chunk without a readable uncompressed length");
            }
            byte x = b.get(pos++);
            length |= (long) (x & 0x7f) << shift;
            if (x >= 0) {
                break;
            }
        }
        budget.check(length);
    }
}
