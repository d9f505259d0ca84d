package io.keyhold.proxy.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The plaintext that goes inside one record's envelope: the record's headers, then its value.
 * Format version 1 (named by the marker header's first byte):
 *
 * <pre>
 *   varint  header count
 *   per header: varint key length, key (UTF-8), varint value length (-1 = null), value
 *   value bytes, to the end (absent for a tombstone, whose value stays null outside the envelope)
 * </pre>
 *
 * Varints are Kafka's zig-zag varints, as in the record format itself.
 */
final class RecordPayload {
    private RecordPayload() {
    }

    /** Serialises {@code headers} and {@code value} (null for tombstones) into one new array. */
    static byte[] encode(Header[] headers, ByteBuffer value) {
        int size = ByteUtils.sizeOfVarint(headers.length);
        byte[][] keys = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            keys[i] = headers[i].key().getBytes(StandardCharsets.UTF_8);
            byte[] v = headers[i].value();
            size += ByteUtils.sizeOfVarint(keys[i].length) + keys[i].length
                    + (v == null ? ByteUtils.sizeOfVarint(-1) : ByteUtils.sizeOfVarint(v.length) + v.length);
        }
        int valueLen = value == null ? 0 : value.remaining();
        byte[] out = new byte[size + valueLen];
        ByteBuffer buf = ByteBuffer.wrap(out);
        ByteUtils.writeVarint(headers.length, buf);
        for (int i = 0; i < headers.length; i++) {
            ByteUtils.writeVarint(keys[i].length, buf);
            buf.put(keys[i]);
            byte[] v = headers[i].value();
            if (v == null) {
                ByteUtils.writeVarint(-1, buf);
            } else {
                ByteUtils.writeVarint(v.length, buf);
                buf.put(v);
            }
        }
        if (value != null) {
            buf.put(value.duplicate());
        }
        return out;
    }

    /** What {@link #decode} found: the headers, and the value as a view into the plaintext array. */
    record Decoded(Header[] headers, ByteBuffer value) {
    }

    /**
     * Parses a plaintext produced by {@link #encode}. {@code tombstone}: the record's value is null,
     * so the plaintext holds headers only.
     *
     * @throws IllegalArgumentException when the plaintext is not well formed
     */
    static Decoded decode(byte[] plain, boolean tombstone) {
        ByteBuffer buf = ByteBuffer.wrap(plain);
        try {
            int count = ByteUtils.readVarint(buf);
            if (count < 0 || count > buf.remaining()) {
                throw new IllegalArgumentException("bad header count " + count);
            }
            Header[] headers = new Header[count];
            for (int i = 0; i < count; i++) {
                int kl = ByteUtils.readVarint(buf);
                if (kl < 0 || kl > buf.remaining()) {
                    throw new IllegalArgumentException("bad header key length");
                }
                String key = new String(plain, buf.position(), kl, StandardCharsets.UTF_8);
                buf.position(buf.position() + kl);
                int vl = ByteUtils.readVarint(buf);
                byte[] v = null;
                if (vl >= 0) {
                    if (vl > buf.remaining()) {
                        throw new IllegalArgumentException("bad header value length");
                    }
                    v = new byte[vl];
                    buf.get(v);
                } else if (vl != -1) {
                    throw new IllegalArgumentException("bad header value length");
                }
                headers[i] = new RecordHeader(key, v);
            }
            if (tombstone) {
                if (buf.hasRemaining()) {
                    throw new IllegalArgumentException("tombstone payload carries a value");
                }
                return new Decoded(headers, null);
            }
            return new Decoded(headers, buf.slice());
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("malformed record payload", e);
        }
    }
}
