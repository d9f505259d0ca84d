package io.keyhold.proxy.internal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * Reads the layout of one record of a v2 record batch, in place: where each field starts and how
 * long it is, without copying or allocating. One cursor is reused for every record of a batch.
 *
 * <pre>
 *   varint length | int8 attributes | varlong timestampDelta | varint offsetDelta
 *   varint keyLength | key | varint valueLength | value | varint headerCount
 *   per header: varint keyLength | key | varint valueLength | value
 * </pre>
 *
 * Positions are indices into the buffer given to {@link #read}. Everything is bounds-checked, and a
 * malformed record raises {@link CorruptRecordException}.
 */
final class RecordCursor {
    /** Where the record starts (its length varint). */
    int start;
    /** Where its body starts (the attributes byte) and ends (exclusive). */
    int bodyStart;
    int end;
    int offsetDelta;
    /** The key's length, -1 for a null key, and where its bytes start. */
    int keyLength;
    int keyAt;
    /** Where the value-length varint starts: attributes, timestamp, offset and key come before it. */
    int valueLengthAt;
    /** The value's length, -1 for a null value (a tombstone), and where its bytes start. */
    int valueLength;
    int valueAt;
    /** Where the header count starts: the header section runs from here to {@link #end}. */
    int headersAt;
    int headerCount;
    /** For a record with exactly one header: its key and value (value length -1 when null). */
    int headerKeyAt;
    int headerKeyLength;
    int headerValueAt;
    int headerValueLength;

    /**
     * Reads the record at {@code buf}'s position, which must not go past {@code buf}'s limit, and
     * leaves the position after it.
     */
    void read(ByteBuffer buf) {
        int batchLimit = buf.limit();
        try {
            start = buf.position();
            int length = ByteUtils.readVarint(buf);
            bodyStart = buf.position();
            if (length < 0 || length > buf.remaining()) {
                throw new CorruptRecordException("record length " + length + " does not fit its batch");
            }
            end = bodyStart + length;
            buf.limit(end); // no field may run past the record
            buf.get(); // attributes
            ByteUtils.readVarlong(buf); // timestamp delta
            offsetDelta = ByteUtils.readVarint(buf);
            keyLength = ByteUtils.readVarint(buf);
            keyAt = buf.position();
            skipField(buf, keyLength, "key");
            valueLengthAt = buf.position();
            valueLength = ByteUtils.readVarint(buf);
            valueAt = buf.position();
            skipField(buf, valueLength, "value");
            headersAt = buf.position();
            headerCount = ByteUtils.readVarint(buf);
            if (headerCount < 0) {
                throw new CorruptRecordException("negative header count");
            }
            for (int i = 0; i < headerCount; i++) {
                int keyLength = ByteUtils.readVarint(buf);
                if (keyLength < 0) {
                    throw new CorruptRecordException("negative header key length");
                }
                headerKeyAt = buf.position();
                headerKeyLength = keyLength;
                skipField(buf, keyLength, "header key");
                headerValueLength = ByteUtils.readVarint(buf);
                headerValueAt = buf.position();
                skipField(buf, headerValueLength, "header value");
            }
            if (buf.hasRemaining()) {
                throw new CorruptRecordException("record has " + buf.remaining() + " bytes after its last header");
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CorruptRecordException("malformed record: " + e.getMessage());
        } finally {
            buf.limit(batchLimit);
        }
    }

    /**
     * Length of the header section (count and headers, as a record stores them) at the start of
     * {@code b[off, off+len)}; raises {@link CorruptRecordException} when it is not well formed.
     * Moves {@code b}'s position and limit.
     */
    static int headerSectionLength(ByteBuffer b, int off, int len) {
        try {
            b.limit(off + len).position(off);
            int count = ByteUtils.readVarint(b);
            if (count < 0 || count > b.remaining()) {
                throw new CorruptRecordException("bad header count " + count);
            }
            for (int i = 0; i < count; i++) {
                int keyLength = ByteUtils.readVarint(b);
                if (keyLength < 0) {
                    throw new CorruptRecordException("negative header key length");
                }
                skipField(b, keyLength, "header key");
                skipField(b, ByteUtils.readVarint(b), "header value");
            }
            return b.position() - off;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CorruptRecordException("malformed headers: " + e.getMessage());
        }
    }

    /** Skips a length-prefixed field whose length was just read (-1: null, nothing to skip). */
    private static void skipField(ByteBuffer b, int length, String what) {
        if (length == -1) {
            return;
        }
        if (length < 0 || length > b.remaining()) {
            throw new CorruptRecordException("bad " + what + " length " + length);
        }
        b.position(b.position() + length);
    }
}
