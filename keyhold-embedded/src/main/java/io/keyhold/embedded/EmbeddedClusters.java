package io.keyhold.embedded;

import io.keyhold.common.AtomicFiles;
import io.keyhold.embedded.internal.ClusterRecord;
import io.keyhold.embedded.internal.KafkaSource;
import io.keyhold.embedded.internal.LocalKafka;
import io.keyhold.embedded.internal.ProxyPorts;
import io.keyhold.embedded.internal.RegisteredKafka;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyConfig;
import io.keyhold.server.RegisteredKafkaCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clusters this server runs, each an encrypting proxy in this JVM in front of a Kafka that is
 * either a single-node KRaft broker started in this JVM (data under {@code DATA_DIR/clusters/<id>/kafka})
 * or, when the operator registered Kafka clusters, one of those (bound one to one). The proxy takes a
 * block of consecutive ports from a configured range: its first port is the cluster's endpoint, the
 * others stand for the brokers. Clients only ever get the proxy's address. What a cluster needs to come
 * back after a restart is kept in {@code DATA_DIR/clusters/<id>/cluster.properties}.
 */
public final class EmbeddedClusters implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedClusters.class);
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String LOCKED_MARKER = "locked";

    /**
     * @param dataDir        Keyhold's data directory; clusters live in {@code dataDir/clusters}
     * @param listenHost     the interface proxies bind (brokers always bind 127.0.0.1)
     * @param advertisedHost the host name clients are told to use
     * @param portRangeStart first port proxies may use
     * @param portRangeEnd   last port proxies may use
     */
    public record Settings(Path dataDir, String listenHost, String advertisedHost, int portRangeStart, int portRangeEnd) {
        public Settings {
            if (portRangeStart < 1 || portRangeEnd > 65535 || portRangeEnd <= portRangeStart) {
                throw new IllegalArgumentException("bad proxy port range " + portRangeStart + "-" + portRangeEnd);
            }
        }
    }

    /** Where a new cluster was created: registered Kafka clusters may accept only some clouds and regions. */
    public record Placement(String cloud, String region) {
        public static final Placement ANY = new Placement(null, null);
    }

    private record Running(KafkaSource.Upstream upstream, KeyholdProxy proxy) {
    }

    private final Settings settings;
    private final ClusterKeys keys;
    private final ProxyPorts ports;
    private final Map<String, KafkaSource> sources = new HashMap<>();
    private final KafkaSource forNewClusters;
    private final Map<String, Running> running = new HashMap<>();

    /** Clusters with brokers on this machine. */
    public EmbeddedClusters(Settings settings, ClusterKeys keys) {
        this(settings, keys, List.of());
    }

    /**
     * @param registered Kafka clusters the operator registered: when there are any, new clusters bind
     *                   to them and no broker is started on this machine. Clusters created before keep
     *                   the Kafka they have.
     */
    public EmbeddedClusters(Settings settings, ClusterKeys keys, List<RegisteredKafkaCluster> registered) {
        this.settings = settings;
        this.keys = keys;
        this.ports = new ProxyPorts(settings.portRangeStart(), settings.portRangeEnd());
        LocalKafka local = new LocalKafka();
        RegisteredKafka external = new RegisteredKafka(registered);
        sources.put(local.kind(), local);
        sources.put(external.kind(), external);
        this.forNewClusters = registered.isEmpty() ? local : external;
    }

    /** As {@link #start(String, Placement, String, String)} for a cluster that may run anywhere. */
    public String start(String clusterId, String kmsKind, String kmsKeyId) throws Exception {
        return start(clusterId, Placement.ANY, kmsKind, kmsKeyId);
    }

    /**
     * Starts cluster {@code clusterId}: creates it (chooses its Kafka, picks ports) the first time,
     * restarts it as recorded afterwards. Blocks until clients can connect.
     *
     * @return the bootstrap endpoint ({@code host:port}) clients use
     */
    public String start(String clusterId, Placement placement, String kmsKind, String kmsKeyId) throws Exception {
        return start(clusterId, placement, null, kmsKind, kmsKeyId);
    }

    /**
     * As {@link #start(String, Placement, String, String)} for a cluster of {@code organizationId}:
     * a new one without a customer key gets its automatic key from {@link ClusterKeys#automaticKey},
     * recorded like a customer key.
     */
    public synchronized String start(String clusterId, Placement placement, String organizationId, String kmsKind, String kmsKeyId)
            throws Exception {
        Path dir = clusterDir(clusterId);
        Running r = running.get(clusterId);
        if (r != null) {
            return r.proxy().bootstrapServers();
        }
        Properties record;
        if (ClusterRecord.exists(dir)) {
            record = ClusterRecord.load(dir);
        } else {
            ClusterKeys.Binding automatic = kmsKind == null && organizationId != null ? keys.automaticKey(organizationId, clusterId) : null;
            record = automatic == null ? create(clusterId, dir, placement, kmsKind, kmsKeyId)
                    : create(clusterId, dir, placement, automatic.kmsKind(), automatic.kmsKeyId());
        }
        KafkaSource source = sourceOf(clusterId, record);
        KafkaSource.Upstream upstream = source.open(clusterId, dir, record);
        try {
            int proxyPort = ClusterRecord.integer(record, ClusterRecord.PROXY_PORT, -1);
            ClusterKeys.ClusterKey key = keys.keyFor(clusterId, record.getProperty(ClusterRecord.KMS_KIND),
                    record.getProperty(ClusterRecord.KMS_KEY));
            ProxyConfig config = ProxyConfig.builder(clusterId, upstream.settings().bootstrapServers(), key.kekId())
                    .upstreamTls(upstream.settings().tls())
                    .listen(settings.listenHost(), proxyPort)
                    .advertisedHost(settings.advertisedHost())
                    .brokerPortBase(ClusterRecord.integer(record, ClusterRecord.BROKER_PORT_BASE, proxyPort))
                    .build();
            KeyholdProxy proxy = KeyholdProxy.start(config, key.kms());
            if (Files.exists(dir.resolve(LOCKED_MARKER))) {
                proxy.lock(); // locked before a restart: stays locked until the control plane unlocks it
            }
            running.put(clusterId, new Running(upstream, proxy));
            LOG.info("cluster {}: running ({} Kafka), endpoint {}", clusterId, source.kind(), proxy.bootstrapServers());
            return proxy.bootstrapServers();
        } catch (Exception | Error e) {
            upstream.stop().close();
            throw e;
        }
    }

    /** The endpoint of a running cluster. */
    public synchronized Optional<String> endpoint(String clusterId) {
        Running r = running.get(clusterId);
        return r == null ? Optional.empty() : Optional.of(r.proxy().bootstrapServers());
    }

    /**
     * Appends, in the Prometheus text format, the proxy metrics of the running clusters {@code include}
     * accepts. (Waits while a cluster is starting: starts hold this object's lock.)
     */
    public void writeMetrics(Appendable out, java.util.function.Predicate<String> include) throws IOException {
        List<io.keyhold.proxy.ProxyMetrics> metrics = new ArrayList<>();
        synchronized (this) {
            running.forEach((id, r) -> {
                if (include.test(id)) {
                    metrics.add(r.proxy().metrics());
                }
            });
        }
        io.keyhold.proxy.PrometheusExporter.write(metrics, out);
    }

    /**
     * Refuses produce and fetch and wipes every DEK (the key cannot be used). Remembered on disk, so
     * a cluster locked when the server stops comes back locked.
     */
    public synchronized void lock(String clusterId) {
        Running r = running.get(clusterId);
        if (r != null) {
            r.proxy().lock();
        }
        mark(clusterId, true);
    }

    /** New records of the cluster get new DEKs, under its key's current version; nothing else changes. */
    public synchronized void retireEncryptionDeks(String clusterId) {
        Running r = running.get(clusterId);
        if (r != null) {
            r.proxy().retireEncryptionDeks();
        }
    }

    public synchronized void unlock(String clusterId) {
        Running r = running.get(clusterId);
        if (r != null) {
            r.proxy().unlock();
        }
        mark(clusterId, false);
    }

    private void mark(String clusterId, boolean locked) {
        Path dir = clusterDir(clusterId);
        try {
            if (locked && Files.isDirectory(dir)) {
                AtomicFiles.write(dir.resolve(LOCKED_MARKER), "locked: the cluster's key cannot be used\n".getBytes(StandardCharsets.UTF_8));
            } else if (!locked) {
                Files.deleteIfExists(dir.resolve(LOCKED_MARKER));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the lock state of cluster " + clusterId, e);
        }
    }

    /**
     * Stops the cluster (locking it first, so no DEK outlives it) and deletes its directory: for a
     * Kafka on this machine that is all its data; for a registered Kafka only the binding, since the
     * topics there are not ours to delete (they stay as ciphertext, unreadable once the key is gone).
     */
    public synchronized void delete(String clusterId) throws Exception {
        Path dir = clusterDir(clusterId);
        Running r = running.remove(clusterId);
        if (r != null) {
            r.proxy().lock();
            stop(clusterId, r);
        }
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
        LOG.info("cluster {}: deleted", clusterId);
    }

    /** Ids of every cluster recorded on this machine (running or not). */
    public synchronized List<String> known() throws IOException {
        Path root = settings.dataDir().resolve("clusters");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(ClusterRecord::exists).map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    /** Stops every cluster; their data and bindings stay for the next {@link #start}. */
    @Override
    public synchronized void close() {
        for (Map.Entry<String, Running> e : new ArrayList<>(running.entrySet())) {
            try {
                stop(e.getKey(), e.getValue());
            } catch (Exception ex) {
                LOG.error("cluster {}: error while stopping: {}", e.getKey(), ex.toString());
            }
        }
        running.clear();
    }

    private static void stop(String clusterId, Running r) throws Exception {
        try {
            r.proxy().close();
        } finally {
            r.upstream().stop().close();
            LOG.info("cluster {}: stopped", clusterId);
        }
    }

    private KafkaSource sourceOf(String clusterId, Properties record) {
        // Records written before registered clusters existed name no source: their Kafka is local.
        String kind = record.getProperty(ClusterRecord.SOURCE, LocalKafka.KIND);
        KafkaSource s = sources.get(kind);
        if (s == null) {
            throw new IllegalStateException("cluster " + clusterId + ": unknown kafka.source '" + kind + "' in its record");
        }
        return s;
    }

    private Path clusterDir(String clusterId) {
        if (!SAFE_ID.matcher(clusterId).matches()) {
            throw new IllegalArgumentException("cluster id '" + clusterId + "' is not a safe directory name");
        }
        return settings.dataDir().resolve("clusters").resolve(clusterId);
    }

    /** Chooses Kafka and ports, then writes the record; nothing is written when no Kafka can be had. */
    private Properties create(String clusterId, Path dir, Placement placement, String kmsKind, String kmsKeyId) throws Exception {
        List<Properties> others = new ArrayList<>();
        for (String id : known()) {
            others.add(ClusterRecord.load(clusterDir(id)));
        }
        Properties p = new Properties();
        p.setProperty(ClusterRecord.SOURCE, forNewClusters.kind());
        ProxyPorts.Need need = forNewClusters.create(clusterId, placement.cloud(), placement.region(), p, others);
        int proxyPort = ports.allocate(need.count(), others);
        p.setProperty(ClusterRecord.PROXY_PORT, String.valueOf(proxyPort));
        p.setProperty(ClusterRecord.PROXY_PORT_COUNT, String.valueOf(need.count()));
        p.setProperty(ClusterRecord.BROKER_PORT_BASE, String.valueOf(proxyPort + need.brokerOffset()));
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
