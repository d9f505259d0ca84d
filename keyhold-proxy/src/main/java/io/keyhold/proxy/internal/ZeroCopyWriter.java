package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;

/**
 * Encodes a Kafka message into a Netty buffer without copying the record batches the proxy has
 * just built ({@link RebuiltRecords}): their pooled buffers become components of a composite buffer
 * as they are, and only the small fields around them are written out. Other record sets (still
 * views into the frame they came from, which is released after encoding) are copied.
 */
final class ZeroCopyWriter implements Writable {
    /** Below this size a copy is cheaper than one more buffer component. */
    private static final int ZERO_COPY_MIN = 4096;

    private final CompositeByteBuf out;
    private final ByteBuf fields;
    private int pieceStart;

    /**
     * @param fieldBytes room for everything except zero-copied records (the message's
     *                   {@code sizeExcludingZeroCopy} plus any header written first); grows if needed
     */
    ZeroCopyWriter(ByteBufAllocator alloc, int fieldBytes) {
        this.out = alloc.compositeHeapBuffer(Integer.MAX_VALUE);
        this.fields = alloc.heapBuffer(fieldBytes);
    }

    void writeBytes(ByteBuf src, int index, int length) {
        fields.writeBytes(src, index, length);
    }

    /** The encoded message; the writer must not be used afterwards. */
    ByteBuf finish() {
        endPiece();
        fields.release(); // the composite holds its own references to the pieces
        return out;
    }

    private void endPiece() {
        int end = fields.writerIndex();
        if (end > pieceStart) {
            out.addComponent(true, fields.retainedSlice(pieceStart, end - pieceStart));
            pieceStart = end;
        }
    }

    @Override
    public void writeRecords(BaseRecords records) {
        if (records instanceof RebuiltRecords) {
            ByteBuf batches = ((RebuiltRecords) records).batches();
            if (batches.readableBytes() >= ZERO_COPY_MIN) {
                endPiece();
                out.addComponent(true, batches.retainedDuplicate());
            } else {
                fields.writeBytes(batches, batches.readerIndex(), batches.readableBytes());
            }
        } else if (records instanceof MemoryRecords) {
            writeByteBuffer(((MemoryRecords) records).buffer());
        } else {
            throw new IllegalArgumentException("unsupported record set " + records.getClass().getSimpleName());
        }
    }

    @Override
    public void writeByte(byte val) {
        fields.writeByte(val);
    }

    @Override
    public void writeShort(short val) {
        fields.writeShort(val);
    }

    @Override
    public void writeInt(int val) {
        fields.writeInt(val);
    }

    @Override
    public void writeLong(long val) {
        fields.writeLong(val);
    }

    @Override
    public void writeDouble(double val) {
        fields.writeDouble(val);
    }

    @Override
    public void writeByteArray(byte[] arr) {
        fields.writeBytes(arr);
    }

    @Override
    public void writeByteBuffer(ByteBuffer buf) {
        fields.writeBytes(buf.duplicate());
    }

    @Override
    public void writeUnsignedVarint(int i) {
        while ((i & 0xffffff80) != 0) {
            fields.writeByte((i & 0x7f) | 0x80);
            i >>>= 7;
        }
        fields.writeByte(i);
    }

    @Override
    public void writeVarint(int i) {
        writeUnsignedVarint((i << 1) ^ (i >> 31));
    }

    @Override
    public void writeVarlong(long i) {
        long v = (i << 1) ^ (i >> 63);
        while ((v & 0xffffffffffffff80L) != 0L) {
            fields.writeByte(((int) v & 0x7f) | 0x80);
            v >>>= 7;
        }
        fields.writeByte((int) v);
    }
}
