package io.keyhold.proxy.internal;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.ByteBufferOutputStream;
import org.apache.kafka.common.utils.CloseableIterator;
import org.apache.kafka.common.utils.Crc32C;

/**
 * <b>Where records get encrypted and decrypted.</b> Rewrites whole record batches: on produce each
 * record's headers and value become one envelope (the new value) plus the marker header; on fetch
 * the reverse. Everything else about a batch is kept: offsets, timestamps, keys, producer id/epoch,
 * sequence, transactional flag, leader epoch and compression codec; control batches are copied as
 * they are. Thread-safe.
 *
 * <p>Record format on disk (see docs/PROXY.md): key unchanged; value = envelope of
 * {@link RecordPayload}; exactly one header {@value #MARKER} whose value is the format version
 * (1). A tombstone keeps its null value; if it had headers, the marker's value is the version byte
 * followed by an envelope of the headers.
 */
public final class RecordEncryption {
    /** Name of the header that marks a record as encrypted by Keyhold. */
    public static final String MARKER = "keyhold.enc";
    /** Record format version carried in the marker's first byte. */
    public static final byte FORMAT_V1 = 1;

    private static final Header[] MARKER_V1 = {new RecordHeader(MARKER, new byte[] {FORMAT_V1})};
    private static final Header[] NO_HEADERS = new Header[0];
    private static final int BATCH_LAST_OFFSET_DELTA = 23;
    private static final int BATCH_CRC = 17;
    private static final int BATCH_ATTRIBUTES = 21;
    private static final ThreadLocal<BufferSupplier> BUFFERS = ThreadLocal.withInitial(BufferSupplier::create);

    private final EnvelopeEncryptor encryptor;
    private final EnvelopeDecryptor decryptor;
    private final String kekId;
    private final UnencryptedRecordPolicy unencryptedPolicy;
    private final ProxyCounters counters;
    private final ConcurrentHashMap<String, Aad> aadByTopic = new ConcurrentHashMap<>();
    private final ExecutorService helpers;

    /** Fetched partitions at least this large are decrypted by two threads (see {@link #decryptInTwo}). */
    static final int PARALLEL_MIN_BYTES = 256 * 1024;

    public RecordEncryption(EnvelopeEncryptor encryptor, EnvelopeDecryptor decryptor, String kekId,
                            UnencryptedRecordPolicy unencryptedPolicy, ProxyCounters counters) {
        this(encryptor, decryptor, kekId, unencryptedPolicy, counters, null);
    }

    /** @param helpers threads that share the decryption of large fetches (null: decrypt on the caller's thread only) */
    public RecordEncryption(EnvelopeEncryptor encryptor, EnvelopeDecryptor decryptor, String kekId,
                            UnencryptedRecordPolicy unencryptedPolicy, ProxyCounters counters, ExecutorService helpers) {
        this.helpers = helpers;
        this.encryptor = encryptor;
        this.decryptor = decryptor;
        this.kekId = kekId;
        this.unencryptedPolicy = unencryptedPolicy;
        this.counters = counters;
    }

    /** A fetched record that carries no encryption marker, on a cluster whose policy rejects those. */
    public static final class UnencryptedRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnencryptedRecordException(String topic, long offset) {
            super("record at offset " + offset + " of topic '" + topic + "' is not encrypted by Keyhold"
                    + " (written around the proxy?); refusing to serve it");
        }
    }

    /** Ciphertext is bound to the topic: an envelope copied into another topic does not decrypt. */
    private Aad aad(String topic) {
        return aadByTopic.computeIfAbsent(topic, t -> Aad.ofParts("keyhold.record.v1", t));
    }

    /** Encrypts every data record of a produce request's partition. */
    public MemoryRecords encrypt(String topic, MemoryRecords in) {
        Aad aad = aad(topic);
        ByteBufferOutputStream out = new ByteBufferOutputStream(in.sizeInBytes() + in.sizeInBytes() / 4 + 256);
        for (MutableRecordBatch batch : in.batches()) {
            if (batch.magic() < RecordBatch.MAGIC_VALUE_V2) {
                throw new IllegalArgumentException("record batches older than format v2 are not supported");
            }
            if (batch.isControlBatch()) {
                batch.writeTo(out);
                continue;
            }
            MemoryRecordsBuilder builder = builderLike(batch, out);
            int n = 0;
            try (CloseableIterator<Record> records = batch.streamingIterator(BUFFERS.get())) {
                while (records.hasNext()) {
                    Record r = records.next();
                    appendEncrypted(builder, r, topic, aad);
                    n++;
                }
            }
            builder.close();
            counters.recordsEncrypted.add(n);
        }
        return MemoryRecords.readableRecords(flipped(out));
    }

    private void appendEncrypted(MemoryRecordsBuilder builder, Record r, String topic, Aad aad) {
        Header[] headers = r.headers();
        if (!r.hasValue()) {
            if (headers.length == 0) {
                // A bare tombstone has nothing to hide, and its null value is what compaction needs.
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null, NO_HEADERS);
                return;
            }
            byte[] envelope = encryptor.encrypt(kekId, topic, RecordPayload.encode(headers, null), aad);
            byte[] marker = new byte[envelope.length + 1];
            marker[0] = FORMAT_V1;
            System.arraycopy(envelope, 0, marker, 1, envelope.length);
            builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null,
                    new Header[] {new RecordHeader(MARKER, marker)});
            return;
        }
        byte[] envelope = encryptor.encrypt(kekId, topic, RecordPayload.encode(headers, r.value()), aad);
        builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), ByteBuffer.wrap(envelope), MARKER_V1);
    }

    /**
     * Decrypts every encrypted record of a fetched partition.
     *
     * @throws UnencryptedRecordException a data record lacks the marker and the policy is REJECT
     * @throws CryptoException            an envelope does not open (tampered, other topic, other key)
     */
    public MemoryRecords decrypt(String topic, MemoryRecords in) {
        if (helpers != null && in.sizeInBytes() >= PARALLEL_MIN_BYTES) {
            List<MutableRecordBatch> batches = new ArrayList<>();
            in.batches().forEach(batches::add);
            if (batches.size() >= 2) {
                return decryptInTwo(topic, in, batches);
            }
        }
        ByteBufferOutputStream out = new ByteBufferOutputStream(in.sizeInBytes() + 256);
        decryptBatches(topic, in.batches(), out);
        return MemoryRecords.readableRecords(flipped(out));
    }

    /**
     * A large fetch (the consumer waits for all of it) is decrypted by two threads at once: the
     * second half of its batches on a helper thread, the first half here; then the halves are joined
     * in order. Same CPU, about half the wait.
     */
    private MemoryRecords decryptInTwo(String topic, MemoryRecords in, List<MutableRecordBatch> batches) {
        int half = in.sizeInBytes() / 2;
        int split = 1;
        for (int bytes = batches.get(0).sizeInBytes(); split < batches.size() - 1 && bytes < half; split++) {
            bytes += batches.get(split).sizeInBytes();
        }
        List<MutableRecordBatch> tail = batches.subList(split, batches.size());
        Future<ByteBufferOutputStream> tailDone = helpers.submit(() -> {
            ByteBufferOutputStream o = new ByteBufferOutputStream(in.sizeInBytes() / 2 + 256);
            decryptBatches(topic, tail, o);
            return o;
        });
        ByteBufferOutputStream out = new ByteBufferOutputStream(in.sizeInBytes() + 256);
        try {
            decryptBatches(topic, batches.subList(0, split), out);
            out.write(flipped(tailDone.get()));
        } catch (RuntimeException e) {
            tailDone.cancel(false);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decrypting", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException("decryption failed", e.getCause());
        }
        return MemoryRecords.readableRecords(flipped(out));
    }

    private void decryptBatches(String topic, Iterable<MutableRecordBatch> batches, ByteBufferOutputStream out) {
        Aad aad = aad(topic);
        for (MutableRecordBatch batch : batches) {
            if (batch.magic() < RecordBatch.MAGIC_VALUE_V2) {
                if (unencryptedPolicy == UnencryptedRecordPolicy.REJECT) {
                    counters.unencryptedRecordsRejected.increment();
                    throw new UnencryptedRecordException(topic, batch.baseOffset());
                }
                counters.unencryptedRecordsPassed.increment();
                batch.writeTo(out);
                continue;
            }
            Integer count = batch.countOrNull();
            if (batch.isControlBatch() || (count != null && count == 0)) {
                batch.writeTo(out);
                continue;
            }
            int start = out.position();
            MemoryRecordsBuilder builder = builderLike(batch, out);
            long lastAppended = -1;
            int n = 0;
            try (CloseableIterator<Record> records = batch.streamingIterator(BUFFERS.get())) {
                while (records.hasNext()) {
                    Record r = records.next();
                    if (appendDecrypted(builder, r, topic, aad)) {
                        n++;
                    }
                    lastAppended = r.offset();
                }
            }
            builder.close();
            counters.recordsDecrypted.add(n);
            keepLastOffset(out, start, batch, lastAppended);
        }
    }

    /** Returns whether the record was decrypted (false: passed through unchanged). */
    private boolean appendDecrypted(MemoryRecordsBuilder builder, Record r, String topic, Aad aad) {
        Header[] headers = r.headers();
        if (headers.length != 1 || !MARKER.equals(headers[0].key())) {
            if (!r.hasValue() && headers.length == 0) {
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null, NO_HEADERS);
                return false;
            }
            if (unencryptedPolicy == UnencryptedRecordPolicy.REJECT) {
                counters.unencryptedRecordsRejected.increment();
                throw new UnencryptedRecordException(topic, r.offset());
            }
            counters.unencryptedRecordsPassed.increment();
            builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), headers);
            return false;
        }
        byte[] marker = headers[0].value();
        if (marker == null || marker.length < 1 || marker[0] != FORMAT_V1) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + r.offset() + " of topic '" + topic
                    + "' has an unknown Keyhold record format");
        }
        try {
            if (r.hasValue()) {
                ByteBuffer v = r.value();
                byte[] plain = v.hasArray()
                        ? decryptor.decrypt(v.array(), v.arrayOffset() + v.position(), v.remaining(), aad)
                        : decryptor.decrypt(copy(v), aad);
                RecordPayload.Decoded d = RecordPayload.decode(plain, false);
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), d.value(), d.headers());
            } else if (marker.length == 1) {
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null, NO_HEADERS);
            } else {
                byte[] plain = decryptor.decrypt(marker, 1, marker.length - 1, aad);
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null, RecordPayload.decode(plain, true).headers());
            }
            return true;
        } catch (CryptoException e) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + r.offset() + " of topic '" + topic + "': " + e.getMessage());
        } catch (IllegalArgumentException e) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + r.offset() + " of topic '" + topic
                    + "' decrypted to a malformed payload");
        }
    }

    /** A builder that writes a batch with the same batch-level fields as {@code batch}. */
    private static MemoryRecordsBuilder builderLike(RecordBatch batch, ByteBufferOutputStream out) {
        long logAppendTime = batch.timestampType() == TimestampType.LOG_APPEND_TIME ? batch.maxTimestamp() : RecordBatch.NO_TIMESTAMP;
        return new MemoryRecordsBuilder(out, RecordBatch.MAGIC_VALUE_V2, Compression.of(batch.compressionType()).build(),
                batch.timestampType(), batch.baseOffset(), logAppendTime, batch.producerId(), batch.producerEpoch(),
                batch.baseSequence(), batch.isTransactional(), false, batch.partitionLeaderEpoch(), Integer.MAX_VALUE,
                batch.deleteHorizonMs().orElse(RecordBatch.NO_TIMESTAMP));
    }

    /**
     * Compaction can leave a batch whose last records are gone while its header still names the
     * original last offset; consumers move on from that offset, so the rebuilt batch must keep it.
     */
    private static void keepLastOffset(ByteBufferOutputStream out, int start, RecordBatch original, long lastAppended) {
        if (original.lastOffset() == lastAppended) {
            return;
        }
        ByteBuffer buf = out.buffer().duplicate();
        buf.position(0);
        buf.putInt(start + BATCH_LAST_OFFSET_DELTA, (int) (original.lastOffset() - original.baseOffset()));
        int end = out.position();
        long crc = Crc32C.compute(buf, start + BATCH_ATTRIBUTES, end - start - BATCH_ATTRIBUTES);
        buf.putInt(start + BATCH_CRC, (int) crc);
    }

    private static ByteBuffer flipped(ByteBufferOutputStream out) {
        ByteBuffer b = out.buffer().duplicate();
        b.flip();
        return b;
    }

    private static byte[] copy(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
