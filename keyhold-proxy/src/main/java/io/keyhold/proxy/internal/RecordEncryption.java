package io.keyhold.proxy.internal;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keyhold.proxy.ProxyConfig;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.DefaultRecordBatch;
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
 * <p>Two paths: uncompressed v2 batches (the common case) are rewritten on their bytes by
 * {@link UncompressedBatches}, without per-record allocation; everything else (compressed, control
 * and pre-v2 batches) goes through Kafka's own record classes here. Both write the same bytes.
 *
 * <p>Record format on disk (see docs/FORMAT.md, "Kafka records"): key unchanged; value = envelope of
 * {@link RecordPayload}; exactly one header {@value #MARKER} (formerly {@value #LEGACY_MARKER}, still read)
 * whose value is the record format (2).
 * A tombstone keeps its null value; the marker's value is the format byte followed by an envelope
 * of its headers, even none. Each envelope is bound to cluster, topic, key and kind
 * ({@link RecordBinding}). Format 1 records are still read.
 */
public final class RecordEncryption {
    /**
     * Name of the header that marks a record as encrypted by Keyhold: two bytes, because it is
     * stored in every record (see docs/FORMAT.md, "Kafka records").
     */
    public static final String MARKER = "kh";
    /** The marker's name in records written before {@link #MARKER}; still read, never written. */
    public static final String LEGACY_MARKER = "keyhold.enc";
    /** The record format new records are written in (the marker's first byte; 1 is still read). */
    public static final byte FORMAT_CURRENT = RecordBinding.FORMAT_V2;

    private static final Header[] MARKER_V2 = {new RecordHeader(MARKER, new byte[] {RecordBinding.FORMAT_V2})};
    private static final Header[] NO_HEADERS = new Header[0];
    private static final ThreadLocal<BufferSupplier> BUFFERS = ThreadLocal.withInitial(BufferSupplier::create);

    private final EnvelopeEncryptor encryptor;
    private final EnvelopeDecryptor decryptor;
    private final String kekId;
    private final String clusterId;
    private final UnencryptedRecordPolicy unencryptedPolicy;
    private final ProxyCounters counters;
    /** Bounded like the DEK cache: a client can name as many topics as it likes. */
    private final Cache<String, TopicBinding> byTopic;
    private final long maxDecompressedBytes;
    private final UncompressedBatches fast;
    private final ByteBufAllocator alloc = ProxyServer.allocator();
    /** Smallest batch-length field of any format (a v0 message with empty key and value). */
    private static final int MIN_BATCH_LENGTH = 14;

    /**
     * @param clusterId the Keyhold cluster: every DEK is bound to it (and to its topic) through the
     *                  KMS's encryption context, so no other cluster's proxy can unwrap it
     */
    public RecordEncryption(EnvelopeEncryptor encryptor, EnvelopeDecryptor decryptor, String kekId, String clusterId,
                            UnencryptedRecordPolicy unencryptedPolicy, ProxyCounters counters) {
        this(encryptor, decryptor, kekId, clusterId, unencryptedPolicy, ProxyConfig.Limits.DEFAULT.maxDecompressedBytes(),
                ProxyConfig.Limits.DEFAULT.maxEncryptionDeks(), counters);
    }

    /**
     * @param maxDecompressedBytes what the compressed batches of one produce request may decompress to
     * @param maxTopics            topics whose AAD and DEK context are kept at hand (recomputed when evicted)
     */
    public RecordEncryption(EnvelopeEncryptor encryptor, EnvelopeDecryptor decryptor, String kekId, String clusterId,
                            UnencryptedRecordPolicy unencryptedPolicy, long maxDecompressedBytes, int maxTopics,
                            ProxyCounters counters) {
        this.byTopic = Caffeine.newBuilder().maximumSize(maxTopics).executor(Runnable::run).build();
        this.maxDecompressedBytes = maxDecompressedBytes;
        this.encryptor = encryptor;
        this.decryptor = decryptor;
        this.kekId = kekId;
        this.clusterId = clusterId;
        this.unencryptedPolicy = unencryptedPolicy;
        this.counters = counters;
        this.fast = new UncompressedBatches(decryptor, unencryptedPolicy, counters);
    }

    /** A fetched record that carries no encryption marker, on a cluster whose policy rejects those. */
    public static final class UnencryptedRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnencryptedRecordException(String topic, long offset) {
            super("record at offset " + offset + " of topic '" + topic + "' is not encrypted by Keyhold"
                    + " (written around the proxy?); refusing to serve it");
        }
    }

    /**
     * What a topic's records are bound to: the record AAD of each format before its per-record tail
     * ({@link RecordBinding}) and the DEK's encryption context at the KMS (cluster and topic).
     */
    private record TopicBinding(Aad v1Aad, Aad v2Aad, EncryptionContext dekContext) {
    }

    private TopicBinding binding(String topic) {
        return byTopic.get(topic, t -> new TopicBinding(RecordBinding.v1(t), RecordBinding.v2(clusterId, t),
                EncryptionContext.forTopic(clusterId, t)));
    }

    /** Asks for the DEK of {@code topic} ahead of use; completes when an encryption can find it. */
    java.util.concurrent.CompletableFuture<Void> prepare(String topic) {
        return encryptor.prepare(kekId, binding(topic).dekContext());
    }

    /**
     * Encrypts every data record of a produce request's partition. The result lives in a pooled
     * buffer: {@link RebuiltRecords#release() release} it once the request is encoded.
     *
     * @throws org.apache.kafka.common.errors.CorruptRecordException a batch is malformed or fails its CRC
     */
    public RebuiltRecords encrypt(String topic, MemoryRecords in) {
        return encrypt(topic, in, newBudget());
    }

    /** A fresh budget for the compressed batches of one produce request. */
    public DecompressionBudget newBudget() {
        return new DecompressionBudget(maxDecompressedBytes);
    }

    /**
     * As {@link #encrypt(String, MemoryRecords)}, charging what compressed batches decompress to to
     * {@code budget} (one per produce request, over all its partitions).
     *
     * @throws DecompressionBudget.ExceededException the request's records decompress to more than its budget
     */
    public RebuiltRecords encrypt(String topic, MemoryRecords in, DecompressionBudget budget) {
        TopicBinding b = binding(topic);
        ByteBuffer buf = in.buffer();
        ByteBuf out = alloc.heapBuffer(in.sizeInBytes() + in.sizeInBytes() / 4 + 256);
        try (EnvelopeEncryptor.Sealer sealer = encryptor.sealer(kekId, b.dekContext(), b.v2Aad())) {
            for (Span span : spans(buf)) {
                int n;
                if (UncompressedBatches.applies(buf, span.start, span.end)) {
                    n = fast.encrypt(buf, span.start, span.end, sealer, out);
                } else {
                    n = encryptInGeneral(b, span.batch(buf), buf, span, budget, out);
                }
                counters.recordsEncrypted.add(n);
            }
            return new RebuiltRecords(out);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }

    /** The general path (compressed and control batches): Kafka's record classes, a record at a time. */
    private int encryptInGeneral(TopicBinding b, MutableRecordBatch batch, ByteBuffer buf, Span span, DecompressionBudget budget,
                                 ByteBuf out) {
        if (batch.magic() < RecordBatch.MAGIC_VALUE_V2) {
            throw new IllegalArgumentException("record batches older than format v2 are not supported");
        }
        ByteBufferOutputStream o = new ByteBufferOutputStream(batch.sizeInBytes() + batch.sizeInBytes() / 4 + 256);
        int n = 0;
        if (batch.isControlBatch()) {
            batch.writeTo(o);
        } else {
            MemoryRecordsBuilder builder = builderLike(batch, o);
            if (batch.compressionType() != CompressionType.NONE && batch instanceof DefaultRecordBatch) {
                // What a client sends is decompressed within the request's budget, never by Kafka's iterator.
                n = CompressedRecords.each((DefaultRecordBatch) batch, buf, span.start, span.end, budget, BUFFERS.get(),
                        r -> appendEncrypted(builder, o, r, b));
            } else {
                try (CloseableIterator<Record> records = batch.streamingIterator(BUFFERS.get())) {
                    while (records.hasNext()) {
                        appendEncrypted(builder, o, records.next(), b);
                        n++;
                    }
                }
            }
            builder.close();
        }
        out.writeBytes(flipped(o));
        return n;
    }

    private void appendEncrypted(MemoryRecordsBuilder builder, ByteBufferOutputStream out, Record r, TopicBinding b) {
        // Ciphertext does not compress: the batch grows by about each record's size. Kafka's stream
        // grows by a tenth at a time, which for a batch of large records copies it some ten times
        // over; doubling ahead of the record copies it about once.
        int needed = r.sizeInBytes() + 256;
        if (out.remaining() < needed) {
            out.ensureRemaining(Math.max(needed, out.position()));
        }
        Header[] headers = r.headers();
        if (!r.hasValue()) {
            // The null value stays (compaction needs it); the headers, even none, are sealed into the marker.
            byte[] envelope = encryptor.encrypt(kekId, b.dekContext(), RecordPayload.encode(headers, null),
                    v2Aad(b, RecordBinding.TOMBSTONE, r.key()));
            byte[] marker = new byte[envelope.length + 1];
            marker[0] = RecordBinding.FORMAT_V2;
            System.arraycopy(envelope, 0, marker, 1, envelope.length);
            builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null,
                    new Header[] {new RecordHeader(MARKER, marker)});
            return;
        }
        byte[] envelope = encryptor.encrypt(kekId, b.dekContext(), RecordPayload.encode(headers, r.value()),
                v2Aad(b, RecordBinding.VALUE, r.key()));
        builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), ByteBuffer.wrap(envelope), MARKER_V2);
    }

    /**
     * Decrypts every encrypted record of a fetched partition. The result lives in a pooled
     * buffer: {@link RebuiltRecords#release() release} it once the response is encoded.
     *
     * @throws UnencryptedRecordException a data record lacks the marker and the policy is REJECT
     * @throws CryptoException            an envelope does not open (tampered, other topic, other key)
     * @throws org.apache.kafka.common.errors.CorruptRecordException a batch is malformed or fails its CRC
     */
    public RebuiltRecords decrypt(String topic, MemoryRecords in) {
        TopicBinding b = binding(topic);
        ByteBuffer buf = in.buffer();
        ByteBuf out = alloc.heapBuffer(in.sizeInBytes() + 256);
        try {
            for (Span span : spans(buf)) {
                if (UncompressedBatches.applies(buf, span.start, span.end)) {
                    counters.recordsDecrypted.add(fast.decrypt(buf, span.start, span.end, topic, b.dekContext(), b.v1Aad(), b.v2Aad(), out));
                } else {
                    decryptInGeneral(topic, b, span.batch(buf), out);
                }
            }
            return new RebuiltRecords(out);
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
    }

    /** The general path for fetched batches: older formats, control batches, compressed batches. */
    private void decryptInGeneral(String topic, TopicBinding b, MutableRecordBatch batch, ByteBuf out) {
        ByteBufferOutputStream o = new ByteBufferOutputStream(batch.sizeInBytes() + 256);
        if (batch.magic() < RecordBatch.MAGIC_VALUE_V2) {
            if (unencryptedPolicy.refuses(false)) {
                counters.unencryptedRecordsRejected.increment();
                throw new UnencryptedRecordException(topic, batch.baseOffset());
            }
            counters.unencryptedRecordsPassed.increment();
            batch.writeTo(o);
        } else {
            Integer count = batch.countOrNull();
            if (batch.isControlBatch() || (count != null && count == 0)) {
                batch.writeTo(o);
            } else {
                MemoryRecordsBuilder builder = builderLike(batch, o);
                long lastAppended = -1;
                int n = 0;
                try (CloseableIterator<Record> records = batch.streamingIterator(BUFFERS.get())) {
                    while (records.hasNext()) {
                        Record r = records.next();
                        if (appendDecrypted(builder, r, topic, b)) {
                            n++;
                        }
                        lastAppended = r.offset();
                    }
                }
                builder.close();
                counters.recordsDecrypted.add(n);
                keepLastOffset(o, 0, batch, lastAppended);
            }
        }
        out.writeBytes(flipped(o));
    }

    /** Where one record batch lies in a record set's buffer. */
    private record Span(int start, int end) {
        MutableRecordBatch batch(ByteBuffer buf) {
            ByteBuffer b = buf.duplicate();
            b.limit(end).position(start);
            return MemoryRecords.readableRecords(b.slice()).batches().iterator().next();
        }
    }

    /**
     * The whole batches of a record set, in order. A partial batch at the end (a broker cuts fetches
     * at a size limit) is left out, as Kafka's clients leave it out.
     */
    private static List<Span> spans(ByteBuffer buf) {
        List<Span> spans = new ArrayList<>();
        int pos = buf.position();
        int limit = buf.limit();
        while (limit - pos > UncompressedBatches.MAGIC_AT) {
            int length = buf.getInt(pos + UncompressedBatches.LENGTH_AT);
            if (length < MIN_BATCH_LENGTH) {
                throw new CorruptRecordException("record batch length " + length + " is too small");
            }
            long end = (long) pos + UncompressedBatches.LOG_OVERHEAD + length;
            if (end > limit) {
                break;
            }
            spans.add(new Span(pos, (int) end));
            pos = (int) end;
        }
        return spans;
    }

    /** The whole format 2 AAD of one record, as the fast path's sealer and opener build it from the tail. */
    private static Aad v2Aad(TopicBinding b, byte kind, ByteBuffer key) {
        byte[] tail = RecordBinding.tail(kind, key);
        return b.v2Aad().append(tail, 0, tail.length);
    }

    static boolean isMarker(String headerKey) {
        return MARKER.equals(headerKey) || LEGACY_MARKER.equals(headerKey);
    }

    /** Returns whether the record was decrypted (false: passed through unchanged). */
    private boolean appendDecrypted(MemoryRecordsBuilder builder, Record r, String topic, TopicBinding b) {
        Header[] headers = r.headers();
        if (headers.length != 1 || !isMarker(headers[0].key())) {
            // Bare tombstones included: format 2 seals every tombstone (see UncompressedBatches).
            if (unencryptedPolicy.refuses(!r.hasValue() && headers.length == 0)) {
                counters.unencryptedRecordsRejected.increment();
                throw new UnencryptedRecordException(topic, r.offset());
            }
            counters.unencryptedRecordsPassed.increment();
            builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), headers);
            return false;
        }
        byte[] marker = headers[0].value();
        boolean v2 = marker != null && marker.length >= 1 && marker[0] == RecordBinding.FORMAT_V2;
        if (!v2 && (marker == null || marker.length < 1 || marker[0] != RecordBinding.FORMAT_V1)) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + r.offset() + " of topic '" + topic
                    + "' has an unknown Keyhold record format");
        }
        try {
            if (r.hasValue()) {
                if (v2 && marker.length != 1) {
                    throw new CryptoException("a value's marker carries sealed headers");
                }
                Aad aad = v2 ? v2Aad(b, RecordBinding.VALUE, r.key()) : b.v1Aad();
                ByteBuffer v = r.value();
                byte[] plain = v.hasArray()
                        ? decryptor.decrypt(v.array(), v.arrayOffset() + v.position(), v.remaining(), b.dekContext(), aad)
                        : decryptor.decrypt(copy(v), b.dekContext(), aad);
                RecordPayload.Decoded d = RecordPayload.decode(plain, false);
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), d.value(), d.headers());
            } else if (marker.length == 1) {
                if (v2) {
                    throw new CryptoException("a tombstone's marker carries no sealed headers");
                }
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null, NO_HEADERS);
            } else {
                Aad aad = v2 ? v2Aad(b, RecordBinding.TOMBSTONE, r.key()) : b.v1Aad();
                byte[] plain = decryptor.decrypt(marker, 1, marker.length - 1, b.dekContext(), aad);
                builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), null, RecordPayload.decode(plain, true).headers());
            }
            return true;
        } catch (CryptoException e) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + r.offset() + " of topic '" + topic + "': " + e.getMessage());
        } catch (KmsDeniedException e) {
            throw badWrappedKey(e, topic, r.offset(), counters);
        } catch (IllegalArgumentException e) {
            counters.decryptionFailures.increment();
            throw new CryptoException("record at offset " + r.offset() + " of topic '" + topic
                    + "' decrypted to a malformed payload");
        }
    }

    /**
     * A KMS that refuses a record's wrapped DEK as damaged or bound elsewhere (a record moved from
     * another topic or cluster) makes the record undecryptable, like any other tampering: a
     * {@link CryptoException} for that record. Any other refusal (the key disabled) stays a KMS error.
     */
    static RuntimeException badWrappedKey(KmsDeniedException e, String topic, long offset, ProxyCounters counters) {
        if (e.reason() != KmsDeniedException.Reason.INVALID_CIPHERTEXT) {
            return e;
        }
        counters.decryptionFailures.increment();
        return new CryptoException("record at offset " + offset + " of topic '" + topic + "': its data key does not unwrap for this"
                + " cluster and topic (damaged, or moved here from elsewhere)");
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
        buf.putInt(start + UncompressedBatches.LAST_OFFSET_DELTA_AT, (int) (original.lastOffset() - original.baseOffset()));
        int end = out.position();
        long crc = Crc32C.compute(buf, start + UncompressedBatches.ATTRIBUTES_AT, end - start - UncompressedBatches.ATTRIBUTES_AT);
        buf.putInt(start + UncompressedBatches.CRC_AT, (int) crc);
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
