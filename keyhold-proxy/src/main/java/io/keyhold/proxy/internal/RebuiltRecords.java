package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordsSend;

/**
 * Record batches the proxy has just written (encrypted for a broker, or decrypted for a client),
 * in one pooled buffer. {@link ZeroCopyWriter} sends the buffer as it is; whoever built the message
 * that carries it calls {@link #release()} once it is encoded.
 */
public final class RebuiltRecords implements BaseRecords {
    private final ByteBuf batches;
    private boolean released;

    /** @param batches a buffer whose readable bytes are whole record batches; ownership moves here */
    RebuiltRecords(ByteBuf batches) {
        this.batches = batches;
    }

    ByteBuf batches() {
        return batches;
    }

    @Override
    public int sizeInBytes() {
        return batches.readableBytes();
    }

    /** Gives the pooled buffer back (the encoded message holds its own reference). */
    public void release() {
        if (released) {
            return;
        }
        released = true;
        batches.release();
    }

    /** A heap copy as Kafka's own record type, for tests and benchmarks that read the batches. */
    public MemoryRecords copyToMemoryRecords() {
        ByteBuffer out = ByteBuffer.allocate(sizeInBytes());
        out.put(batches.nioBuffer());
        out.flip();
        return MemoryRecords.readableRecords(out);
    }

    /** Never sent through Kafka's own network layer: the proxy's {@link ZeroCopyWriter} writes it. */
    @Override
    public RecordsSend<? extends BaseRecords> toSend() {
        throw new UnsupportedOperationException("rebuilt records are written by the proxy's ZeroCopyWriter");
    }
}
