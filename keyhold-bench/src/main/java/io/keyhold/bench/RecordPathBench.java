package io.keyhold.bench;

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
import io.keyhold.proxy.internal.ProxyCounters;
import io.keyhold.proxy.internal.RebuiltRecords;
import io.keyhold.proxy.internal.RecordEncryption;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;

/**
 * The proxy's record path without the network: encrypt and decrypt batches of 1 KiB records as
 * ProducerPerformance sends them (128 KiB batches), reporting CPU microseconds per record; ROUNDS
 * (default 8) rounds of 240,000 records each way.
 */
public final class RecordPathBench {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private RecordPathBench() {
    }

    /** With {@code kms} as the argument, DEKs come from a KMS (envelope version 1); by default from a cluster key (compact). */
    public static void main(String[] args) {
        boolean kmsDeks = args.length > 0 && args[0].equals("kms");
        System.out.println(kmsDeks ? "DEKs from the KMS (envelope version 1)" : "DEKs from a cluster key (compact envelope)");
        RecordEncryption enc = kmsDeks ? kmsEncryption() : clusterKeyEncryption();
        MemoryRecords batch = batch(120, 1024);
        RebuiltRecords sealed = BenchKms.untilReady(() -> enc.encrypt("topic", batch));
        MemoryRecords encrypted = sealed.copyToMemoryRecords();
        sealed.release();
        BenchKms.untilReady(() -> enc.decrypt("topic", encrypted)).release(); // the first decrypt unwraps its DEK
        int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "8"));
        for (int round = 0; round < rounds; round++) {
            int batches = 2000;
            // The thread's CPU time, not the wall clock: on a shared machine it moves less with the neighbours' load.
            long t0 = CPU.getCurrentThreadCpuTime();
            for (int i = 0; i < batches; i++) {
                enc.encrypt("topic", batch).release();
            }
            long t1 = CPU.getCurrentThreadCpuTime();
            for (int i = 0; i < batches; i++) {
                enc.decrypt("topic", encrypted).release();
            }
            long t2 = CPU.getCurrentThreadCpuTime();
            System.out.printf("encrypt %.3f us/record, decrypt %.3f us/record (CPU time)%n",
                    (t1 - t0) / 1000.0 / (batches * 120), (t2 - t1) / 1000.0 / (batches * 120));
        }
    }

    private static RecordEncryption kmsEncryption() {
        BenchKms kms = new BenchKms();
        return new RecordEncryption(
                new EnvelopeEncryptor(new EncryptionDekCache(kms, DekRotationPolicy.DEFAULT)),
                new EnvelopeDecryptor(new DecryptionDekCache(kms, KekPolicy.onlyKey(BenchKms.KIND, "bench-kek"), 1000, Duration.ofMinutes(5))),
                "bench-kek", "bench", UnencryptedRecordPolicy.REJECT, new ProxyCounters());
    }

    /** Record encryption as a proxy with cluster keys does it: DEKs derived from one cluster key, compact envelopes. */
    static RecordEncryption clusterKeyEncryption() {
        ClusterKey key = new ClusterKey(ClusterKey.newId(), DataKey.generate());
        ClusterKeyDeks deks = new ClusterKeyDeks(ClusterKeyDeks.Keyring.of(key),
                (kek, e, ctx) -> CompletableFuture.failedFuture(new IllegalStateException("no KMS here")));
        return new RecordEncryption(new EnvelopeEncryptor(new EncryptionDekCache(deks, DekRotationPolicy.DEFAULT)),
                new EnvelopeDecryptor(new DecryptionDekCache(deks, KekPolicy.anyKey(), 1000, Duration.ofMinutes(5))),
                "bench-kek", "lkc-bench", UnencryptedRecordPolicy.REJECT, new ProxyCounters());
    }

    /** {@code n} uncompressed records of {@code size} random bytes in one batch. */
    static MemoryRecords batch(int n, int size) {
        ByteBuffer buf = ByteBuffer.allocate(n * (size + 64) + 128);
        MemoryRecordsBuilder b = new MemoryRecordsBuilder(buf, RecordBatch.MAGIC_VALUE_V2, Compression.NONE, TimestampType.CREATE_TIME,
                0, RecordBatch.NO_TIMESTAMP, 1, (short) 0, 0, false, false, 0, buf.capacity());
        Random r = new Random(1);
        byte[] v = new byte[size];
        for (int i = 0; i < n; i++) {
            r.nextBytes(v);
            b.append(System.currentTimeMillis(), null, v);
        }
        return b.build();
    }
}
