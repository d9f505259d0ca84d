package io.keyhold.proxy.internal;

import io.keyhold.crypto.Aad;
import java.nio.ByteBuffer;

/**
 * What a record's envelope is bound to, per record format (the marker header's first byte; see
 * {@code docs/FORMAT.md}, "Kafka records").
 *
 * <ul>
 *   <li>Format 1 (read only): {@code ("keyhold.record.v1", topic)}, the same for every record of a topic.</li>
 *   <li>Format 2: {@code ("keyhold.record.v2", cluster, topic)} for the whole topic, then a tail per record:
 *   {@code u8 kind || i32 key length (-1 = null key) || key bytes}, kind {@value #VALUE} for a value with its
 *   headers, {@value #TOMBSTONE} for a tombstone's headers. So an envelope moved under another key (null and
 *   empty differ), into another topic or cluster, or from a value into a tombstone fails authentication.</li>
 * </ul>
 *
 * The tail is the last part of the associated data, so only its own fields need delimiting: the
 * kind has a fixed size and the key its length.
 */
final class RecordBinding {
    static final byte FORMAT_V1 = 1;
    static final byte FORMAT_V2 = 2;
    /** Tail kinds: what the envelope's payload is. */
    static final byte VALUE = 1;
    static final byte TOMBSTONE = 2;
    /** Kind, then the key length. */
    static final int TAIL_OVERHEAD = 5;

    private RecordBinding() {
    }

    static Aad v1(String topic) {
        return Aad.ofParts("keyhold.record.v1", topic);
    }

    static Aad v2(String clusterId, String topic) {
        return Aad.ofParts("keyhold.record.v2", clusterId, topic);
    }

    /**
     * Writes the tail for a record whose key is {@code key[keyOff, keyOff+keyLength)} ({@code keyLength}
     * -1: a null key) into {@code out} at 0, which must have room for {@link #TAIL_OVERHEAD} + key bytes;
     * returns its length.
     */
    static int writeTail(byte kind, byte[] key, int keyOff, int keyLength, byte[] out) {
        return writeTail(kind, key, keyOff, keyLength, out, 0);
    }

    /** As above, at {@code out[outOff]} (a sealer's or opener's AAD, right behind the record AAD). */
    static int writeTail(byte kind, byte[] key, int keyOff, int keyLength, byte[] out, int outOff) {
        out[outOff] = kind;
        out[outOff + 1] = (byte) (keyLength >>> 24);
        out[outOff + 2] = (byte) (keyLength >>> 16);
        out[outOff + 3] = (byte) (keyLength >>> 8);
        out[outOff + 4] = (byte) keyLength;
        if (keyLength <= 0) {
            return TAIL_OVERHEAD;
        }
        System.arraycopy(key, keyOff, out, outOff + TAIL_OVERHEAD, keyLength);
        return TAIL_OVERHEAD + keyLength;
    }

    /** Bytes the tail of a record whose key has {@code keyLength} bytes (-1: null) takes. */
    static int tailLength(int keyLength) {
        return TAIL_OVERHEAD + Math.max(0, keyLength);
    }

    /** The tail as a new array, for a key given as Kafka's record classes give it (null: a null key). */
    static byte[] tail(byte kind, ByteBuffer key) {
        if (key == null) {
            byte[] out = new byte[TAIL_OVERHEAD];
            writeTail(kind, out, 0, -1, out);
            return out;
        }
        byte[] k = new byte[key.remaining()];
        key.duplicate().get(k);
        byte[] out = new byte[TAIL_OVERHEAD + k.length];
        writeTail(kind, k, 0, k.length, out);
        return out;
    }
}
