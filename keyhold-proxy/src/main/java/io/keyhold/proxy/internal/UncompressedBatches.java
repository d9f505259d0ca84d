package io.keyhold.proxy.internal;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.AadTailRoom;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.common.utils.Crc32C;

/**
 * The fast path of {@link RecordEncryption}: encrypts and decrypts uncompressed v2 record batches
 * directly on their bytes, record by record, into a pooled output buffer. Nothing is allocated per
 * record (no record objects, no header objects, no plaintext arrays): an envelope is sealed straight
 * into the output from a per-thread scratch array, and opened into that array, from which the record
 * is written. Never sealed or opened between input and output directly: both are pooled buffers that
 * often share one chunk's array, and the JDK's GCM (17) working within one array (decrypting, or
 * encrypting to a higher offset) first allocates and zeroes a copy of the whole array, megabytes per
 * record (see docs/PROXY.md, "Record path performance").
 * The output is byte for byte what the general path (Kafka's {@code MemoryRecordsBuilder}) writes.
 *
 * <p>The input batch's CRC is checked first, so a batch damaged on the way in is refused rather than
 * given a fresh, valid CRC. Batch-level fields are copied as they are; only the batch length and
 * CRC are recomputed.
 */
final class UncompressedBatches {
    /** v2 batch header layout (offsets from the batch start) and its size. */
    static final int LENGTH_AT = 8;
    static final int MAGIC_AT = 16;
    static final int CRC_AT = 17;
    static final int ATTRIBUTES_AT = 21;
    static final int LAST_OFFSET_DELTA_AT = 23;
    static final int COUNT_AT = 57;
    static final int HEADER_SIZE = 61;
    /** The batch-length field counts the bytes after itself. */
    static final int LOG_OVERHEAD = 12;

    private static final byte[] MARKER_KEY = RecordEncryption.MARKER.getBytes(StandardCharsets.UTF_8);
    private static final byte[] LEGACY_MARKER_KEY = RecordEncryption.LEGACY_MARKER.getBytes(StandardCharsets.UTF_8);
    /** The header section of an encrypted record with a value: one header, the marker, value = version. */
    private static final byte[] MARKER_SECTION = markerSection();
    /** Per-record growth on encryption besides the envelope: marker section and longer varints. */
    private static final int ENCRYPT_SLACK = MARKER_SECTION.length + 10;

    private final EnvelopeDecryptor decryptor;
    private final UnencryptedRecordPolicy unencryptedPolicy;
    private final ProxyCounters counters;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    UncompressedBatches(EnvelopeDecryptor decryptor, UnencryptedRecordPolicy unencryptedPolicy, ProxyCounters counters) {
        this.decryptor = decryptor;
        this.unencryptedPolicy = unencryptedPolicy;
        this.counters = counters;
    }

    /** Whether the batch at {@code in[start, end)} takes this path: format v2, no compression, not a control batch. */
    static boolean applies(ByteBuffer in, int start, int end) {
        if (!in.hasArray() || end - start < HEADER_SIZE || in.get(start + MAGIC_AT) != 2) {
            return false;
        }
        short attributes = in.getShort(start + ATTRIBUTES_AT);
        return (attributes & 0x07) == 0 && (attributes & 0x20) == 0;
    }

    /**
     * Per-thread room for one record's plaintext (grown to the largest record seen). Plaintext must
     * not outlive its batch here, so {@link #wipe()} zeroes what the batch wrote (the longest record's
     * length, not the whole array) and a grown array's predecessor is zeroed before it is dropped.
     */
    static final class Scratch {
        byte[] bytes = new byte[16 * 1024];
        ByteBuffer view = ByteBuffer.wrap(bytes);
        /** How far records of the current batch wrote: {@code bytes[0, used)} may hold plaintext. */
        private int used;

        byte[] ensure(int n) {
            if (bytes.length < n) {
                wipe();
                bytes = new byte[Math.max(n, bytes.length * 2)];
                view = ByteBuffer.wrap(bytes);
            }
            used = Math.max(used, n);
            return bytes;
        }

        void wipe() {
            Arrays.fill(bytes, 0, used, (byte) 0);
            used = 0;
        }
    }

    /** This thread's scratch array (tests check that it holds no plaintext after a batch). */
    static Scratch threadScratch() {
        return SCRATCH.get();
    }

    /** Where the output goes: the array behind a pooled heap buffer, written through a ByteBuffer view. */
    private static final class Output {
        final ByteBuf buf;
        byte[] array;
        int base;
        ByteBuffer w;

        Output(ByteBuf buf, int room) {
            this.buf = buf;
            grow(room);
        }

        /** Makes room for {@code n} more bytes (rarely needed: the first estimate is an upper bound). */
        void ensure(int n) {
            if (w.remaining() < n) {
                buf.writerIndex(w.position() - base);
                grow(n + 4096);
            }
        }

        private void grow(int room) {
            buf.ensureWritable(room);
            array = buf.array();
            base = buf.arrayOffset();
            w = ByteBuffer.wrap(array);
            w.position(base + buf.writerIndex());
        }

        /** Finishes the batch that began at writer index {@code start}: its length and CRC. */
        void endBatch(int start) {
            int batchAt = base + start;
            int end = w.position();
            w.putInt(batchAt + LENGTH_AT, end - batchAt - LOG_OVERHEAD);
            ByteUtils.writeUnsignedInt(w, batchAt + CRC_AT, Crc32C.compute(array, batchAt + ATTRIBUTES_AT, end - batchAt - ATTRIBUTES_AT));
            buf.writerIndex(end - base);
        }
    }

    /** Encrypts the batch at {@code in[start, end)} into {@code out}; returns its record count. */
    int encrypt(ByteBuffer in, int start, int end, EnvelopeEncryptor.Sealer sealer, ByteBuf out) {
        int count = checkedCount(in, start, end);
        long room = (long) (end - start) + (long) count * (sealer.envelopeLength(0) + ENCRYPT_SLACK);
        if (room > Integer.MAX_VALUE - 64) {
            throw new CorruptRecordException("record batch too large to encrypt");
        }
        Output o = new Output(out, (int) room);
        int outStart = out.writerIndex();
        byte[] ia = in.array();
        int iBase = in.arrayOffset();
        o.w.put(ia, iBase + start, HEADER_SIZE);
        Scratch scratch = SCRATCH.get();
        RecordCursor cur = new RecordCursor();
        ByteBuffer r = in.duplicate();
        r.limit(end).position(start + HEADER_SIZE);
        int n = 0;
        try {
            while (r.hasRemaining()) {
                cur.read(r);
                n++;
                encryptRecord(cur, ia, iBase, o, scratch, sealer);
            }
        } finally {
            scratch.wipe();
        }
        checkCount(count, n);
        o.endBatch(outStart);
        return n;
    }

    /**
     * Decrypts the batch at {@code in[start, end)} into {@code out}; returns how many records were
     * decrypted (unencrypted ones passed through are not counted).
     *
     * @throws RecordEncryption.UnencryptedRecordException a record lacks the marker and the policy is REJECT
     * @throws CryptoException an envelope does not open, or holds a malformed payload
     */
    int decrypt(ByteBuffer in, int start, int end, String topic, EncryptionContext dekContext, Aad v1Aad, Aad v2Aad,
                ByteBuf out) {
        int count = checkedCount(in, start, end);
        Output o = new Output(out, end - start); // a decrypted record is always shorter than its encrypted form
        int outStart = out.writerIndex();
        byte[] ia = in.array();
        int iBase = in.arrayOffset();
        long baseOffset = in.getLong(start);
        o.w.put(ia, iBase + start, HEADER_SIZE);
        Scratch scratch = SCRATCH.get();
        RecordCursor cur = new RecordCursor();
        ByteBuffer r = in.duplicate();
        r.limit(end).position(start + HEADER_SIZE);
        int n = 0;
        int decrypted = 0;
        try (Openers openers = new Openers(decryptor, dekContext, v1Aad, v2Aad)) {
            while (r.hasRemaining()) {
                cur.read(r);
                n++;
                if (decryptRecord(cur, ia, iBase, o, scratch, openers, topic, baseOffset)) {
                    decrypted++;
                }
            }
        } finally {
            scratch.wipe();
        }
        checkCount(count, n);
        o.endBatch(outStart);
        return decrypted;
    }

    /** Writes one record of a batch being encrypted (record format 2, see {@link RecordBinding}). */
    private static void encryptRecord(RecordCursor cur, byte[] ia, int iBase, Output o, Scratch scratch,
                                      EnvelopeEncryptor.Sealer sealer) {
        int prefixLength = cur.valueLengthAt - cur.bodyStart;
        int sectionLength = cur.end - cur.headersAt;
        if (cur.valueLength < 0) {
            // A tombstone keeps its null value (what compaction needs); its headers, even none, are
            // sealed into the marker, so a tombstone written around the proxy lacks a valid one.
            int tailLength = writeTail(sealer, RecordBinding.TOMBSTONE, cur, ia, iBase);
            int envelope = sealer.envelopeLength(sectionLength);
            int marker = 1 + envelope;
            o.ensure(prefixLength + marker + 32);
            ByteBuffer w = o.w;
            ByteUtils.writeVarint(prefixLength + 1 + 1 + 1 + MARKER_KEY.length + ByteUtils.sizeOfVarint(marker) + marker, w);
            w.put(ia, iBase + cur.bodyStart, prefixLength);
            ByteUtils.writeVarint(-1, w);
            ByteUtils.writeVarint(1, w);
            ByteUtils.writeVarint(MARKER_KEY.length, w);
            w.put(MARKER_KEY);
            ByteUtils.writeVarint(marker, w);
            w.put(RecordBinding.FORMAT_V2);
            // Sealed from the scratch array, never from the input: input and output are pooled buffers
            // that often share one array, and the JDK's GCM (17) encrypting within one array to a higher
            // offset first copies the whole array (megabytes) per record.
            byte[] headers = scratch.ensure(sectionLength);
            System.arraycopy(ia, iBase + cur.headersAt, headers, 0, sectionLength);
            w.position(w.position() + sealer.sealWithTail(headers, 0, sectionLength, o.array, w.position(), tailLength));
            return;
        }
        // The payload is the header section followed by the value (see RecordPayload).
        int payload = sectionLength + cur.valueLength;
        byte[] p = scratch.ensure(payload);
        System.arraycopy(ia, iBase + cur.headersAt, p, 0, sectionLength);
        System.arraycopy(ia, iBase + cur.valueAt, p, sectionLength, cur.valueLength);
        int tailLength = writeTail(sealer, RecordBinding.VALUE, cur, ia, iBase);
        int envelope = sealer.envelopeLength(payload);
        o.ensure(prefixLength + envelope + MARKER_SECTION.length + 16);
        ByteBuffer w = o.w;
        ByteUtils.writeVarint(prefixLength + ByteUtils.sizeOfVarint(envelope) + envelope + MARKER_SECTION.length, w);
        w.put(ia, iBase + cur.bodyStart, prefixLength);
        ByteUtils.writeVarint(envelope, w);
        w.position(w.position() + sealer.sealWithTail(p, 0, payload, o.array, w.position(), tailLength));
        w.put(MARKER_SECTION);
    }

    /** Writes a record's AAD tail (its kind and key) once, straight into the sealer's or opener's AAD; returns its length. */
    private static int writeTail(AadTailRoom room, byte kind, RecordCursor cur, byte[] ia, int iBase) {
        byte[] aad = room.tailBuffer(RecordBinding.tailLength(cur.keyLength));
        return RecordBinding.writeTail(kind, ia, iBase + cur.keyAt, cur.keyLength, aad, room.tailOffset());
    }

    /** The openers of one fetched batch: compaction can put records of both formats into one batch. */
    private static final class Openers implements AutoCloseable {
        final EnvelopeDecryptor.Opener v1;
        final EnvelopeDecryptor.Opener v2;

        Openers(EnvelopeDecryptor decryptor, EncryptionContext dekContext, Aad v1Aad, Aad v2Aad) {
            this.v1 = decryptor.opener(dekContext, v1Aad);
            this.v2 = decryptor.opener(dekContext, v2Aad);
        }

        @Override
        public void close() {
            v1.close();
            v2.close();
        }
    }

    /** Writes one record of a batch being decrypted; returns whether it was decrypted (not passed through). */
    private boolean decryptRecord(RecordCursor cur, byte[] ia, int iBase, Output o, Scratch scratch,
                                  Openers openers, String topic, long baseOffset) {
        ByteBuffer w = o.w;
        boolean marked = cur.headerCount == 1
                && (isHeaderKey(cur, ia, iBase, MARKER_KEY) || isHeaderKey(cur, ia, iBase, LEGACY_MARKER_KEY));
        if (!marked) {
            // A bare tombstone too: format 2 seals every tombstone's headers, so one without the
            // marker was written around the proxy (it could delete any key of a compacted topic).
            if (unencryptedPolicy.refuses(cur.valueLength < 0 && cur.headerCount == 0)) {
                counters.unencryptedRecordsRejected.increment();
                throw new RecordEncryption.UnencryptedRecordException(topic, baseOffset + cur.offsetDelta);
            }
            counters.unencryptedRecordsPassed.increment();
            w.put(ia, iBase + cur.start, cur.end - cur.start);
            return false;
        }
        long offset = baseOffset + cur.offsetDelta;
        byte format = cur.headerValueLength < 1 ? 0 : ia[iBase + cur.headerValueAt];
        boolean v2 = format == RecordBinding.FORMAT_V2;
        if (!v2 && format != RecordBinding.FORMAT_V1) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + offset + " of topic '" + topic + "' has an unknown Keyhold record format");
        }
        EnvelopeDecryptor.Opener opener = v2 ? openers.v2 : openers.v1;
        int prefixLength = cur.valueLengthAt - cur.bodyStart;
        if (cur.valueLength >= 0) {
            if (v2 && cur.headerValueLength != 1) {
                throw malformed(topic, offset, "a value's marker carries sealed headers");
            }
            int tailLength = v2 ? writeTail(opener, RecordBinding.VALUE, cur, ia, iBase) : -1; // format 1: no tail
            byte[] p = scratch.ensure(cur.valueLength);
            int payload = open(opener, ia, iBase + cur.valueAt, cur.valueLength, p, tailLength, topic, offset);
            int section = section(scratch, payload, topic, offset);
            int value = payload - section;
            ByteUtils.writeVarint(prefixLength + ByteUtils.sizeOfVarint(value) + payload, w);
            w.put(ia, iBase + cur.bodyStart, prefixLength);
            ByteUtils.writeVarint(value, w);
            w.put(p, section, value);
            w.put(p, 0, section);
        } else if (cur.headerValueLength == 1) {
            if (v2) {
                throw malformed(topic, offset, "a tombstone's marker carries no sealed headers");
            }
            ByteUtils.writeVarint(prefixLength + 2, w); // a format 1 tombstone that had no headers
            w.put(ia, iBase + cur.bodyStart, prefixLength);
            ByteUtils.writeVarint(-1, w);
            ByteUtils.writeVarint(0, w);
        } else {
            int sealed = cur.headerValueLength - 1;
            int tailLength = v2 ? writeTail(opener, RecordBinding.TOMBSTONE, cur, ia, iBase) : -1;
            byte[] p = scratch.ensure(sealed);
            int payload = open(opener, ia, iBase + cur.headerValueAt + 1, sealed, p, tailLength, topic, offset);
            if (section(scratch, payload, topic, offset) != payload) {
                counters.decryptionFailures.increment();
                throw new CryptoException("record at offset " + offset + " of topic '" + topic
                        + "': a tombstone's sealed headers carry a value");
            }
            ByteUtils.writeVarint(prefixLength + 1 + payload, w);
            w.put(ia, iBase + cur.bodyStart, prefixLength);
            ByteUtils.writeVarint(-1, w);
            w.put(p, 0, payload);
        }
        return true;
    }

    private CryptoException malformed(String topic, long offset, String what) {
        counters.decryptionFailures.increment();
        return new CryptoException("record at offset " + offset + " of topic '" + topic + "': " + what);
    }

    /** Opens an envelope into {@code out}; {@code tailLength} -1: no AAD tail (format 1), else the one written into the opener. */
    private int open(EnvelopeDecryptor.Opener opener, byte[] in, int off, int len, byte[] out, int tailLength,
                     String topic, long offset) {
        try {
            return tailLength < 0 ? opener.open(in, off, len, out, 0) : opener.openWithTail(in, off, len, out, 0, tailLength);
        } catch (CryptoException e) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + offset + " of topic '" + topic + "': " + e.getMessage());
        } catch (KmsDeniedException e) {
            throw RecordEncryption.badWrappedKey(e, topic, offset, counters);
        }
    }

    /** Length of the header section at the start of a decrypted payload. */
    private int section(Scratch scratch, int payload, String topic, long offset) {
        try {
            return RecordCursor.headerSectionLength(scratch.view, 0, payload);
        } catch (CorruptRecordException e) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + offset + " of topic '" + topic + "' decrypted to a malformed payload");
        }
    }

    /** Checks the batch's CRC and returns its record count. */
    private static int checkedCount(ByteBuffer in, int start, int end) {
        long stored = ByteUtils.readUnsignedInt(in, start + CRC_AT);
        long actual = Crc32C.compute(in.array(), in.arrayOffset() + start + ATTRIBUTES_AT, end - start - ATTRIBUTES_AT);
        if (stored != actual) {
            throw new CorruptRecordException("record batch at offset " + in.getLong(start) + " fails its CRC check");
        }
        int count = in.getInt(start + COUNT_AT);
        if (count < 0 || count > end - start - HEADER_SIZE) {
            throw new CorruptRecordException("record batch claims " + count + " records");
        }
        return count;
    }

    private static void checkCount(int declared, int found) {
        if (declared != found) {
            throw new CorruptRecordException("record batch declares " + declared + " records but holds " + found);
        }
    }

    /** Whether the cursor's (first) header is named {@code name}. */
    private static boolean isHeaderKey(RecordCursor cur, byte[] ia, int iBase, byte[] name) {
        return cur.headerKeyLength == name.length
                && Arrays.equals(ia, iBase + cur.headerKeyAt, iBase + cur.headerKeyAt + name.length, name, 0, name.length);
    }

    private static byte[] markerSection() {
        ByteBuffer b = ByteBuffer.allocate(32);
        ByteUtils.writeVarint(1, b);
        ByteUtils.writeVarint(MARKER_KEY.length, b);
        b.put(MARKER_KEY);
        ByteUtils.writeVarint(1, b);
        b.put(RecordBinding.FORMAT_V2);
        return Arrays.copyOf(b.array(), b.position());
    }
}
