package io.keyhold.embedded;

import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.KekRef;
import io.keyhold.crypto.WrappedClusterKey;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;

/**
 * What a broker stores, read from its raw segment files: the records' envelopes, and the wrapped
 * cluster keys of Keyhold's key topic {@code __keyhold_keys}. Every record DEK of a cluster derives
 * from one of its cluster keys (HKDF, no other secret: {@code docs/FORMAT.md}), so what a KMS key
 * can unwrap of the cluster keys is what it can open of the records: how the crypto-shredding test
 * shows that no key left opens anything.
 */
final class StoredEnvelopes {
    private static final String KEY_TOPIC_PARTITION = "__keyhold_keys-0";

    private StoredEnvelopes() {
    }

    /** The values of every record in the data topics' segment files (not Kafka's or Keyhold's internal topics). */
    static List<byte[]> read(Path logDir) throws Exception {
        return values(logDir, dir -> !dir.startsWith("__"));
    }

    /** Every wrapping in the key topic's segment files, for {@code cluster}, the newest per cluster key id (as a proxy reads them). */
    static Map<String, WrappedClusterKey> clusterKeys(Path logDir, String cluster) throws Exception {
        Map<String, WrappedClusterKey> newest = new LinkedHashMap<>();
        for (byte[] v : values(logDir, KEY_TOPIC_PARTITION::equals)) {
            WrappedClusterKey w = WrappedClusterKey.decode(v);
            if (w.clusterId().equals(cluster)) {
                newest.put(w.id(), w);
            }
        }
        return newest;
    }

    /**
     * For every record of the data topics, in segment order: {@code <KMS key>@<version>} of the
     * wrapping of the cluster key it is under (the newest wrapping, as a proxy reads it).
     */
    static List<String> recordKeks(Path logDir, String cluster) throws Exception {
        Map<String, WrappedClusterKey> keys = clusterKeys(logDir, cluster);
        List<String> out = new ArrayList<>();
        for (byte[] envelope : read(logDir)) {
            KekRef named = io.keyhold.crypto.EnvelopeFormat.kekOf(envelope);
            WrappedClusterKey w = ClusterKey.PROVIDER.equals(named.provider()) ? keys.get(named.keyId()) : null;
            out.add(w == null ? "not under a cluster key of the key topic: " + named : w.kek().keyId() + "@" + w.kek().keyVersion());
        }
        return out;
    }

    /**
     * The ids of the cluster keys in the key topic's segment files, any wrapping of them, that key
     * {@code kek} of the local KMS {@code store} unwraps (whatever KEK the wrapping names), bound as
     * the proxy binds them (cluster and cluster key id).
     */
    static List<String> clusterKeysOpenedWith(Path logDir, LocalKmsOptions store, String cluster, KekRef kek) throws Exception {
        List<WrappedClusterKey> all = new ArrayList<>();
        for (byte[] v : values(logDir, KEY_TOPIC_PARTITION::equals)) {
            WrappedClusterKey w = WrappedClusterKey.decode(v);
            if (w.clusterId().equals(cluster)) {
                all.add(w);
            }
        }
        List<String> opened = new ArrayList<>();
        try (LocalKms kms = LocalKms.open(store)) {
            for (WrappedClusterKey w : all) {
                try (DataKey k = kms.unwrap(kek, w.edek(), ClusterKey.wrappingContext(cluster, w.id())).toCompletableFuture()
                        .get(30, TimeUnit.SECONDS)) {
                    opened.add(w.id());
                } catch (java.util.concurrent.ExecutionException e) {
                    // refused or failed authentication: not opened
                }
            }
        }
        return opened;
    }

    private static List<byte[]> values(Path logDir, Predicate<String> partitionDir) throws Exception {
        List<byte[]> out = new ArrayList<>();
        List<Path> segments;
        try (Stream<Path> files = Files.walk(logDir)) {
            segments = files.filter(f -> f.toString().endsWith(".log"))
                    .filter(f -> partitionDir.test(f.getParent().getFileName().toString())).sorted().toList();
        }
        for (Path segment : segments) {
            try (FileRecords records = FileRecords.open(new File(segment.toString()), false)) {
                for (RecordBatch batch : records.batches()) {
                    if (batch.isControlBatch()) {
                        continue;
                    }
                    for (Record r : batch) {
                        if (r.hasValue()) {
                            ByteBuffer v = r.value();
                            byte[] bytes = new byte[v.remaining()];
                            v.get(bytes);
                            out.add(bytes);
                        }
                    }
                }
            }
        }
        return out;
    }
}
