package io.keyhold.proxy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.DefaultRecord;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The records of a compressed v2 batch a client sent, decompressed one at a time within a
 * {@link DecompressionBudget}. Kafka's own iterator takes each record's size from the decompressed
 * stream and allocates that much before reading it, so a few bytes could make it allocate 2 GiB; and
 * nothing stops a 100 MiB zstd frame of zeros from inflating to gigabytes. Here every record's
 * declared size is charged to the request's budget first, and memory is taken as bytes actually come
 * out of the decompressor.
 */
final class CompressedRecords {
    /** Records up to this size get their buffer at once; larger ones grow as their bytes come. */
    private static final int DIRECT_READ_BYTES = 1024 * 1024;

    private CompressedRecords() {
    }

    /**
     * Hands every record of the batch at {@code buf[start, end)} to {@code sink}, in order; returns
     * how many.
     *
     * @throws DecompressionBudget.ExceededException the records decompress to more than the budget allows
     * @throws CorruptRecordException the batch does not decompress to its declared records
     */
    static int each(DefaultRecordBatch batch, ByteBuffer buf, int start, int end, DecompressionBudget budget,
                    BufferSupplier buffers, Consumer<Record> sink) {
        CompressionType type = batch.compressionType();
        ByteBuffer whole = buf.duplicate();
        whole.limit(end).position(start + UncompressedBatches.HEADER_SIZE);
        ByteBuffer compressed = whole.slice();
        if (type == CompressionType.SNAPPY) {
            SnappyChunks.check(compressed, budget);
        }
        Integer count = batch.countOrNull();
        if (count == null || count < 0) {
            throw new CorruptRecordException("compressed record batch without a record count");
        }
        Long logAppendTime = batch.timestampType() == TimestampType.LOG_APPEND_TIME ? batch.maxTimestamp() : null;
        InputStream in = decoding(() -> Compression.of(type).build().wrapForInput(compressed, RecordBatch.MAGIC_VALUE_V2, buffers));
        try {
            for (int i = 0; i < count; i++) {
                sink.accept(decoding(() -> next(in, batch, logAppendTime, budget))); // what the sink throws goes through as it is
            }
            if (decoding(in::read) != -1) {
                throw new CorruptRecordException("compressed record batch holds more than its " + count + " records");
            }
            return count;
        } finally {
            try {
                in.close();
            } catch (IOException e) {
                // nothing was written; a close failure of a decompressor changes nothing
            }
        }
    }

    private interface Decoding<T> {
        T get() throws IOException;
    }

    /** Runs a step of decompression or record parsing: whatever fails in it means a corrupt batch. */
    private static <T> T decoding(Decoding<T> step) {
        try {
            return step.get();
        } catch (DecompressionBudget.ExceededException | CorruptRecordException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptRecordException("compressed record batch does not decompress: " + e.getMessage());
        }
    }

    private static Record next(InputStream in, DefaultRecordBatch batch, Long logAppendTime, DecompressionBudget budget)
            throws IOException {
        int size = ByteUtils.readVarint(in);
        if (size < 0) {
            throw new CorruptRecordException("negative record size " + size + " in a compressed batch");
        }
        int prefix = ByteUtils.sizeOfVarint(size);
        budget.take((long) prefix + size);
        byte[] record;
        if (size <= DIRECT_READ_BYTES) {
            record = new byte[prefix + size];
            if (in.readNBytes(record, prefix, size) != size) {
                throw new CorruptRecordException("compressed batch ends inside a record");
            }
        } else {
            byte[] body = in.readNBytes(size); // grows with what the decompressor really yields
            if (body.length != size) {
                throw new CorruptRecordException("compressed batch ends inside a record");
            }
            record = new byte[prefix + size];
            System.arraycopy(body, 0, record, prefix, size);
        }
        ByteBuffer b = ByteBuffer.wrap(record);
        ByteUtils.writeVarint(size, b);
        b.position(0);
        return DefaultRecord.readFrom(b, batch.baseOffset(), batch.baseTimestamp(), batch.baseSequence(), logAppendTime);
    }
}
