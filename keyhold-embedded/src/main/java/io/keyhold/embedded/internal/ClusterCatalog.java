package io.keyhold.embedded.internal;

import io.keyhold.common.AtomicFiles;
import io.keyhold.server.RegisteredKafkaCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The clusters recorded on this machine, one directory each under {@code DATA_DIR/clusters}, and
 * where their Kafka comes from. A new cluster gets its Kafka and its proxy ports here, one creation
 * at a time, so that two clusters created at once never pick the same registration or ports.
 */
public final class ClusterCatalog {
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path root;
    private final ProxyPorts ports;
    private final Map<String, KafkaSource> sources = new HashMap<>();
    private final KafkaSource forNewClusters;

    /**
     * @param registered Kafka clusters the operator registered: when there are any, new clusters bind
     *                   to them; otherwise they get a broker on this machine
     */
    public ClusterCatalog(Path dataDir, ProxyPorts ports, List<RegisteredKafkaCluster> registered) {
        this.root = dataDir.resolve("clusters");
        this.ports = ports;
        LocalKafka local = new LocalKafka();
        RegisteredKafka external = new RegisteredKafka(registered);
        sources.put(local.kind(), local);
        sources.put(external.kind(), external);
        this.forNewClusters = registered.isEmpty() ? local : external;
    }

    /** The cluster's directory; refuses ids that are not safe directory names. */
    public Path dir(String clusterId) {
        if (!SAFE_ID.matcher(clusterId).matches()) {
            throw new IllegalArgumentException("cluster id '" + clusterId + "' is not a safe directory name");
        }
        return root.resolve(clusterId);
    }

    /** Ids of every cluster recorded on this machine. */
    public List<String> known() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(ClusterRecord::exists).map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    /** The cluster's record; the first time, chooses its Kafka (in {@code cloud}/{@code region}) and ports and writes it. */
    /** Whether the cluster has a record already (it was created before). */
    public boolean exists(String clusterId) {
        return ClusterRecord.exists(dir(clusterId));
    }

    public Properties recordOf(String clusterId, String cloud, String region, String kmsKind, String kmsKeyId) throws Exception {
        Path dir = dir(clusterId);
        if (ClusterRecord.exists(dir)) {
            return ClusterRecord.load(dir);
        }
        synchronized (this) {
            return create(dir, clusterId, cloud, region, kmsKind, kmsKeyId);
        }
    }

    /** Where the recorded cluster's Kafka comes from. */
    public KafkaSource sourceOf(String clusterId, Properties record) {
        // Records written before registered clusters existed name no source: their Kafka is local.
        String kind = record.getProperty(ClusterRecord.SOURCE, LocalKafka.KIND);
        KafkaSource s = sources.get(kind);
        if (s == null) {
            throw new IllegalStateException("cluster " + clusterId + ": unknown kafka.source '" + kind + "' in its record");
        }
        return s;
    }

    /** Chooses Kafka and ports, then writes the record; nothing is written when no Kafka can be had. */
    private Properties create(Path dir, String clusterId, String cloud, String region, String kmsKind, String kmsKeyId)
            throws Exception {
        List<Properties> others = new ArrayList<>();
        for (String id : known()) {
            others.add(ClusterRecord.load(dir(id)));
        }
        Properties p = new Properties();
        p.setProperty(ClusterRecord.SOURCE, forNewClusters.kind());
        ProxyPorts.Need need = forNewClusters.create(clusterId, cloud, region, p, others);
        int proxyPort = ports.allocate(need.count(), others);
        p.setProperty(ClusterRecord.PROXY_PORT, String.valueOf(proxyPort));
        p.setProperty(ClusterRecord.PROXY_PORT_COUNT, String.valueOf(need.count()));
        p.setProperty(ClusterRecord.BROKER_PORT_BASE, String.valueOf(proxyPort + need.brokerOffset()));
        p.setProperty(ClusterRecord.RECORD_KEYS, ClusterRecord.CLUSTER_KEYS_ONLY);
        if (kmsKind != null) {
            p.setProperty(ClusterRecord.KMS_KIND, kmsKind);
        }
        if (kmsKeyId != null) {
            p.setProperty(ClusterRecord.KMS_KEY, kmsKeyId);
        }
        AtomicFiles.createPrivateDirectories(dir);
        ClusterRecord.write(dir, p);
        return p;
    }
}
