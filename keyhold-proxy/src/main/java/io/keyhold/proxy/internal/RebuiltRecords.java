package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordsSend;

/**
 * Record batches the proxy has just written (encrypted for a broker, or decrypted for a client),
 * in one or more pooled buffers laid end to end. {@link ZeroCopyWriter} sends the buffers as they
 * are; whoever built the message that carries them calls {@link #release()} once it is encoded.
 */
public final class RebuiltRecords implements BaseRecords {
    private final List<ByteBuf> pieces;
    private final int size;
    private boolean released;

    /** @param pieces buffers whose readable bytes are whole record batches, in order; ownership moves here */
    RebuiltRecords(List<ByteBuf> pieces) {
        this.pieces = List.copyOf(pieces);
        int n = 0;
        for (ByteBuf b : this.pieces) {
            n += b.readableBytes();
        }
        this.size = n;
    }

    List<ByteBuf> pieces() {
        return pieces;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    /** Gives the pooled buffers back (the encoded message holds its own references). */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        for (ByteBuf b : pieces) {
            b.release();
        }
    }

    /** A heap copy as Kafka's own record type, for tests and benchmarks that read the batches. */
    public MemoryRecords copyToMemoryRecords() {
        ByteBuffer out = ByteBuffer.allocate(size);
        for (ByteBuf b : pieces) {
            out.put(b.nioBuffer());
        }
        out.flip();
        return MemoryRecords.readableRecords(out);
    }

    /** Never sent through Kafka's own network layer: the proxy's {@link ZeroCopyWriter} writes it. */
    @Override
    public RecordsSend<? extends BaseRecords> toSend() {
        throw new UnsupportedOperationException("rebuilt records are written by the proxy's ZeroCopyWriter");
    }
}
