package io.keyhold.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.ClusterKeyDeks;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekRotationPolicy;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import io.keyhold.proxy.internal.RecordEncryptionTest.Rec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Arbitrary;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Records under a cluster key: the compact envelope and the short marker, on both record paths. */
class CompactRecordsTest {
    private final ClusterKey ck = new ClusterKey(ClusterKey.newId(), DataKey.generate());
    private final ClusterKeyDeks deks = new ClusterKeyDeks(ClusterKeyDeks.Keyring.of(ck),
            (k, e, c) -> CompletableFuture.failedFuture(new AssertionError("no KMS call under a cluster key")));
    private final RecordEncryption encryption = new RecordEncryption(
            new EnvelopeEncryptor(new EncryptionDekCache(deks, DekRotationPolicy.DEFAULT)),
            new EnvelopeDecryptor(new DecryptionDekCache(deks, KekPolicy.onlyKey("test", "kek").andAnyKeyOf(ClusterKey.PROVIDER),
                    100, Duration.ofMinutes(5))),
            "kek", "lkc-test", UnencryptedRecordPolicy.REJECT, new ProxyCounters());

    @Provide
    Arbitrary<List<Rec>> batches() {
        return new RecordEncryptionTest().batches();
    }

    @Property(tries = 60)
    void bothPathsReadWhatTheOtherWroteInTheCompactLayout(@ForAll("batches") List<Rec> recs) {
        MemoryRecords original = RecordEncryptionTest.build(recs, CompressionType.NONE, 0L);
        List<String> expected = RecordEncryptionTest.records(original);
        MemoryRecords fastSealed = RecordEncryptionTest.take(RecordEncryptionTest.encrypt(encryption, "orders", original));
        assertCompact(fastSealed);
        MemoryRecords regzipped = RecordEncryptionTest.rebatch(fastSealed, CompressionType.GZIP);
        assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(encryption, "orders", regzipped))))
                .isEqualTo(expected);
        MemoryRecords generalSealed = RecordEncryptionTest.take(RecordEncryptionTest.encrypt(encryption, "orders",
                RecordEncryptionTest.build(recs, CompressionType.GZIP, 0L)));
        assertCompact(generalSealed);
        MemoryRecords plain = RecordEncryptionTest.rebatch(generalSealed, CompressionType.NONE);
        assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(encryption, "orders", plain))))
                .isEqualTo(expected);
        // The fast path reads the legacy marker name too, and so does the general path.
        MemoryRecords legacy = renameMarker(fastSealed, CompressionType.NONE);
        assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(encryption, "orders", legacy))))
                .isEqualTo(expected);
        MemoryRecords legacyGzip = renameMarker(fastSealed, CompressionType.GZIP);
        assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(encryption, "orders", legacyGzip))))
                .isEqualTo(expected);
    }

    /**
     * Records arrive in pooled buffers and are rebuilt into pooled buffers, often slices of one array.
     * The JDK's GCM, encrypting within one array to a higher offset, copies the whole array first; the
     * record path must never hand it such a pair (it did for tombstones: megabytes per tombstone).
     */
    @Test
    void encryptingTombstonesFromAPooledBufferAllocatesNoCopyOfThePool() {
        List<Rec> tombstones = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            tombstones.add(new Rec(("account-" + i).getBytes(StandardCharsets.UTF_8), null, new Header[0]));
        }
        MemoryRecords built = RecordEncryptionTest.build(tombstones, CompressionType.NONE, 0L);
        io.netty.buffer.ByteBuf pooled = ProxyServer.allocator().heapBuffer(built.sizeInBytes());
        try {
            pooled.writeBytes(built.buffer().duplicate());
            MemoryRecords in = MemoryRecords.readableRecords(
                    java.nio.ByteBuffer.wrap(pooled.array(), pooled.arrayOffset(), built.sizeInBytes()).slice());
            RecordEncryptionTest.encrypt(encryption, "orders", in).release(); // the DEK, and a warm path
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = mx.getCurrentThreadAllocatedBytes();
            RebuiltRecords sealed = RecordEncryptionTest.encrypt(encryption, "orders", in);
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            try {
                assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(
                        RecordEncryptionTest.decrypt(encryption, "orders", sealed.copyToMemoryRecords()))))
                        .isEqualTo(RecordEncryptionTest.records(built));
            } finally {
                sealed.release();
            }
            // The JDK's own per-record objects are about a kilobyte; a copy of a pool chunk is megabytes.
            assertThat(allocated / tombstones.size()).as("bytes allocated per tombstone").isLessThan(16 * 1024);
        } finally {
            pooled.release();
        }
    }

    @Test
    void aRecordCostsTheCompactEnvelopeAndAFiveByteMarker() {
        byte[] value = new byte[1024];
        List<Rec> one = List.of(new Rec("account-1".getBytes(StandardCharsets.UTF_8), value, new Header[0]));
        MemoryRecords plain = RecordEncryptionTest.build(one, CompressionType.NONE, 0L);
        MemoryRecords sealed = RecordEncryptionTest.take(RecordEncryptionTest.encrypt(encryption, "orders", plain));
        Record r = sealed.records().iterator().next();
        // value: header count (1 byte) + 1024 bytes sealed in 43 bytes of envelope.
        assertThat(r.valueSize()).isEqualTo(1 + 1024 + 43);
        // The whole batch grows by the envelope, the marker header (count, "kh", its value) and a longer varint.
        assertThat(sealed.sizeInBytes() - plain.sizeInBytes()).isLessThanOrEqualTo(43 + 6 + 2);
    }

    /** Every record carries one marker named "kh" whose envelope (value, or tombstone marker) is envelope version 2. */
    private static void assertCompact(MemoryRecords sealed) {
        for (Record r : sealed.records()) {
            Header[] h = r.headers();
            assertThat(h).extracting(Header::key).containsExactly(RecordEncryption.MARKER);
            assertThat(RecordEncryption.MARKER).isEqualTo("kh");
            ByteBuffer envelope = r.hasValue() ? r.value() : ByteBuffer.wrap(h[0].value(), 1, h[0].value().length - 1);
            assertThat(envelope.get(envelope.position() + 2)).as("envelope version").isEqualTo((byte) 2);
        }
    }

    /** The same records with the marker named as before the compact layout. */
    private static MemoryRecords renameMarker(MemoryRecords in, CompressionType type) {
        MutableRecordBatch first = in.batches().iterator().next();
        ByteBuffer buf = ByteBuffer.allocate(in.sizeInBytes() * 2 + 1024);
        MemoryRecordsBuilder b = new MemoryRecordsBuilder(buf, RecordBatch.MAGIC_VALUE_V2, Compression.of(type).build(),
                TimestampType.CREATE_TIME, first.baseOffset(), RecordBatch.NO_TIMESTAMP, first.producerId(), first.producerEpoch(),
                first.baseSequence(), false, false, first.partitionLeaderEpoch(), buf.capacity());
        for (Record r : in.records()) {
            List<Header> renamed = new ArrayList<>();
            for (Header h : r.headers()) {
                renamed.add(new RecordHeader(RecordEncryption.LEGACY_MARKER, h.value()));
            }
            b.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), renamed.toArray(new Header[0]));
        }
        return b.build();
    }
}
