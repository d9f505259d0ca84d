package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.MessageSizeAccumulator;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

/**
 * Reading and writing Kafka frames (without their 4-byte size prefix, which the pipeline's frame
 * decoder and prepender handle). Only headers are parsed here; bodies are decoded with Kafka's own
 * generated message classes, and only for the APIs the proxy must change.
 */
final class Frames {
    private Frames() {
    }

    /** A frame the proxy cannot make sense of; the connection that sent it is closed. */
    static final class MalformedFrameException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedFrameException(String message) {
            super(message);
        }
    }

    /** The fixed start of every request header: api key, api version, correlation id. */
    record RequestStart(short apiKey, short apiVersion, int correlationId) {
        /** The API, or null when this build of the Kafka client library does not know it. */
        ApiKeys api() {
            return ApiKeys.hasId(apiKey) ? ApiKeys.forId(apiKey) : null;
        }
    }

    static RequestStart requestStart(ByteBuf frame) {
        if (frame.readableBytes() < 8) {
            throw new MalformedFrameException("request frame of " + frame.readableBytes() + " bytes is shorter than a header");
        }
        int i = frame.readerIndex();
        return new RequestStart(frame.getShort(i), frame.getShort(i + 2), frame.getInt(i + 4));
    }

    /** Length of the request header (api key .. tagged fields) at the start of {@code frame}. */
    static int requestHeaderLength(ByteBuf frame, ApiKeys api, short version) {
        int start = frame.readerIndex();
        int end = start + frame.readableBytes();
        int pos = start + 8;
        if (pos + 2 > end) {
            throw new MalformedFrameException("truncated request header");
        }
        short clientIdLen = frame.getShort(pos);
        pos += 2;
        if (clientIdLen > 0) {
            pos += clientIdLen;
        } else if (clientIdLen < -1) {
            throw new MalformedFrameException("bad client id length " + clientIdLen);
        }
        if (pos > end) {
            throw new MalformedFrameException("truncated request header");
        }
        if (api.requestHeaderVersion(version) >= 2) {
            pos = skipTaggedFields(frame, pos, end);
        }
        return pos - start;
    }

    /** Length of the response header (correlation id, then tagged fields for header v1). */
    static int responseHeaderLength(ByteBuf frame, ApiKeys api, short version) {
        int start = frame.readerIndex();
        int end = start + frame.readableBytes();
        int pos = start + 4;
        if (pos > end) {
            throw new MalformedFrameException("truncated response header");
        }
        if (api.responseHeaderVersion(version) >= 1) {
            pos = skipTaggedFields(frame, pos, end);
        }
        return pos - start;
    }

    private static int skipTaggedFields(ByteBuf f, int pos, int end) {
        int[] cursor = {pos};
        int count = readUnsignedVarint(f, cursor, end);
        for (int i = 0; i < count; i++) {
            readUnsignedVarint(f, cursor, end); // tag
            int size = readUnsignedVarint(f, cursor, end);
            cursor[0] += size;
            if (cursor[0] > end || size < 0) {
                throw new MalformedFrameException("truncated tagged fields");
            }
        }
        return cursor[0];
    }

    private static int readUnsignedVarint(ByteBuf f, int[] cursor, int end) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (cursor[0] >= end) {
                throw new MalformedFrameException("truncated varint");
            }
            byte b = f.getByte(cursor[0]++);
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (value < 0) {
                    throw new MalformedFrameException("varint out of range");
                }
                return value;
            }
        }
        throw new MalformedFrameException("varint too long");
    }

    /** The body after a header of {@code headerLength} bytes, as a NIO view (no copy). */
    static ByteBufferAccessor body(ByteBuf frame, int headerLength) {
        ByteBuffer nio = frame.nioBuffer(frame.readerIndex() + headerLength, frame.readableBytes() - headerLength);
        return new ByteBufferAccessor(nio);
    }

    /**
     * A new frame: the original header bytes, then {@code body} encoded at {@code version}. Record
     * sets the proxy built ({@link RebuiltRecords}; {@code rebuiltRecords} says whether there are any)
     * are referenced, not copied; the caller still releases its own hold on them.
     */
    static ByteBuf withBody(ByteBufAllocator alloc, ByteBuf original, int headerLength, Message body, short version,
                            boolean rebuiltRecords) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        MessageSizeAccumulator size = new MessageSizeAccumulator();
        body.addSize(size, cache, version);
        int fieldBytes = headerLength + (rebuiltRecords ? size.sizeExcludingZeroCopy() : size.totalSize());
        ZeroCopyWriter w = new ZeroCopyWriter(alloc, fieldBytes);
        try {
            w.writeBytes(original, original.readerIndex(), headerLength);
            body.write(w, cache, version);
            return w.finish();
        } catch (RuntimeException e) {
            w.finish().release();
            throw e;
        }
    }

    /** A response frame made by the proxy itself. */
    static ByteBuf response(ByteBufAllocator alloc, int correlationId, short headerVersion, Message body, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = body.size(cache, version);
        int headerLength = headerVersion >= 1 ? 5 : 4;
        ByteBuf out = alloc.heapBuffer(headerLength + size);
        out.writeInt(correlationId);
        if (headerVersion >= 1) {
            out.writeByte(0); // no tagged fields
        }
        write(out, body, cache, version, size);
        return out;
    }

    private static void write(ByteBuf out, Message body, ObjectSerializationCache cache, short version, int size) {
        int at = out.writerIndex();
        out.ensureWritable(size);
        ByteBuffer nio = out.nioBuffer(at, size);
        body.write(new ByteBufferAccessor(nio), cache, version);
        out.writerIndex(at + size);
    }
}
