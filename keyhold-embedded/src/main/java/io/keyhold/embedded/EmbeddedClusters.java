package io.keyhold.embedded;

import io.keyhold.common.AtomicFiles;
import io.keyhold.embedded.internal.ClusterCatalog;
import io.keyhold.embedded.internal.ClusterRecord;
import io.keyhold.embedded.internal.EndpointProbe;
import io.keyhold.embedded.internal.EndpointSecurity;
import io.keyhold.embedded.internal.KafkaSource;
import io.keyhold.embedded.internal.ProbeTls;
import io.keyhold.embedded.internal.ProxyPorts;
import io.keyhold.embedded.internal.ServingChecks;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyConfig;
import io.keyhold.proxy.TlsSettings;
import io.keyhold.server.RegisteredKafkaCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 *
 * <p>Clusters start and stop independently: a start takes seconds (a broker, a KMS), and holds only its
 * own cluster's lifecycle lock, so several clusters start in parallel, and locking, unlocking,
 * metrics and readiness never wait behind a start.
 */
public final class EmbeddedClusters implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedClusters.class);
    private static final String LOCKED_MARKER = "locked";

    /**
     * @param dataDir        Keyhold's data directory; clusters live in {@code dataDir/clusters}
     * @param listenHost     the interface proxies bind (brokers always bind 127.0.0.1)
     * @param advertisedHost the host name clients are told to use
     * @param portRangeStart first port proxies may use
     * @param portRangeEnd   last port proxies may use
     * @param clientTls      TLS on every cluster endpoint, or null for plaintext
     */
    public record Settings(Path dataDir, String listenHost, String advertisedHost, int portRangeStart, int portRangeEnd,
                           TlsSettings clientTls) {
        public Settings {
            if (portRangeStart < 1 || portRangeEnd > 65535 || portRangeEnd <= portRangeStart) {
                throw new IllegalArgumentException("bad proxy port range " + portRangeStart + "-" + portRangeEnd);
            }
        }

        /** Plaintext endpoints. */
        public Settings(Path dataDir, String listenHost, String advertisedHost, int portRangeStart, int portRangeEnd) {
            this(dataDir, listenHost, advertisedHost, portRangeStart, portRangeEnd, null);
        }
    }

    /** Where a new cluster was created: registered Kafka clusters may accept only some clouds and regions. */
    public record Placement(String cloud, String region) {
        public static final Placement ANY = new Placement(null, null);
    }

    private record Running(KafkaSource.Upstream upstream, KeyholdProxy proxy) {
    }

    /**
     * One cluster on this machine. Start, stop and delete hold {@link #lifecycle} (they take seconds);
     * the running proxy and the lock state are guarded by the slot itself (held only for moments).
     */
    private static final class Slot {
        final Object lifecycle = new Object();
        private Running running;
        private boolean locked;

        Slot(boolean locked) {
            this.locked = locked;
        }

        synchronized Running running() {
            return running;
        }
    }

    private final Settings settings;
    private final ClusterKeys keys;
    private final ClusterCatalog catalog;
    private final ConcurrentMap<String, Slot> slots = new ConcurrentHashMap<>();
    private final ExecutorService keyLookups = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "keyhold-cluster-key");
        t.setDaemon(true);
        return t;
    });
    /** Loopback answers in milliseconds; the slack is for a starved machine (a probe that overruns still counts next time). */
    private final ServingChecks servingChecks;
    private volatile boolean closed;

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
        this.servingChecks = new ServingChecks(new EndpointProbe(2_000, ProbeTls.socketFactory(settings.clientTls())),
                Duration.ofSeconds(2));
        String warning = EndpointSecurity.startWarning(settings.listenHost(), settings.clientTls());
        if (warning != null) {
            LOG.warn(warning);
        }
        this.catalog = new ClusterCatalog(settings.dataDir(), new ProxyPorts(settings.portRangeStart(), settings.portRangeEnd()),
                registered);
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
    public String start(String clusterId, Placement placement, String organizationId, String kmsKind, String kmsKeyId)
            throws Exception {
        Path dir = catalog.dir(clusterId);
        Slot slot = slot(clusterId);
        synchronized (slot.lifecycle) {
            Running r = slot.running();
            if (r != null) {
                return r.proxy().bootstrapServers();
            }
            ClusterKeys.Binding automatic = kmsKind == null && organizationId != null && !catalog.exists(clusterId)
                    ? keys.automaticKey(organizationId, clusterId) : null;
            Properties record = automatic == null
                    ? catalog.recordOf(clusterId, placement.cloud(), placement.region(), kmsKind, kmsKeyId)
                    : catalog.recordOf(clusterId, placement.cloud(), placement.region(), automatic.kmsKind(), automatic.kmsKeyId());
            KafkaSource source = catalog.sourceOf(clusterId, record);
            // Reaching the cluster's KMS (for the local KMS: deriving its master key from the passphrase)
            // and starting a broker both take seconds: do them at the same time.
            Future<ClusterKeys.ClusterKey> key = keyLookups.submit(() -> keys.keyFor(clusterId,
                    record.getProperty(ClusterRecord.KMS_KIND), record.getProperty(ClusterRecord.KMS_KEY)));
            KafkaSource.Upstream upstream;
            try {
                upstream = source.open(clusterId, dir, record);
            } catch (Exception | Error e) {
                key.cancel(false);
                throw e;
            }
            try {
                ClusterKeys.ClusterKey k = result(key);
                KeyholdProxy proxy = KeyholdProxy.start(proxyConfig(clusterId, record, upstream, k.kekId()), k.kms());
                publish(clusterId, slot, new Running(upstream, proxy));
                LOG.info("cluster {}: running ({} Kafka), endpoint {}", clusterId, source.kind(), proxy.bootstrapServers());
                return proxy.bootstrapServers();
            } catch (Exception | Error e) {
                upstream.stop().close();
                throw e;
            }
        }
    }

    private ProxyConfig proxyConfig(String clusterId, Properties record, KafkaSource.Upstream upstream, String kekId) {
        int proxyPort = ClusterRecord.integer(record, ClusterRecord.PROXY_PORT, -1);
        return ProxyConfig.builder(clusterId, upstream.settings().bootstrapServers(), kekId)
                .upstreamTls(upstream.settings().tls())
                .clientTls(settings.clientTls())
                .listen(settings.listenHost(), proxyPort)
                .advertisedHost(settings.advertisedHost())
                .brokerPortBase(ClusterRecord.integer(record, ClusterRecord.BROKER_PORT_BASE, proxyPort))
                // Record DEKs derive from cluster keys kept in the cluster's own Kafka (docs/FORMAT.md):
                // the key topic's client reaches it as the proxy does (bootstrap and TLS), plus the
                // SASL settings a registered Kafka's entry gives it.
                .clusterKeys(new ProxyConfig.ClusterKeys(upstream.keyTopicClient(), ProxyConfig.ClusterKeys.DEFAULT_KEY_TTL))
                .build();
    }

    private static ClusterKeys.ClusterKey result(Future<ClusterKeys.ClusterKey> key) throws Exception {
        try {
            return key.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * Makes a started proxy the cluster's, locked if the cluster is (a lock may have come while it
     * started). When the clusters were closed meanwhile, closes the proxy and throws instead.
     */
    private void publish(String clusterId, Slot slot, Running r) {
        synchronized (slot) {
            if (closed) {
                r.proxy().close();
                throw new IllegalStateException("cluster " + clusterId + ": the server is stopping");
            }
            slot.running = r;
            if (slot.locked) {
                r.proxy().lock(); // locked before a restart: stays locked until the control plane unlocks it
                mark(clusterId, true);
            }
        }
    }

    /** Whether the cluster endpoints serve TLS, and a warning when they carry records in clear on a network. */
    public io.keyhold.server.ClusterRuntime.EndpointSecurity endpointSecurity() {
        return EndpointSecurity.describe(settings.listenHost(), settings.clientTls());
    }

    /** The endpoint of a running cluster. */
    public Optional<String> endpoint(String clusterId) {
        Slot slot = slots.get(clusterId);
        Running r = slot == null ? null : slot.running();
        return r == null ? Optional.empty() : Optional.of(r.proxy().bootstrapServers());
    }

    /**
     * The clusters among {@code clusterIds} whose endpoint does not serve Kafka clients now: not
     * running here, or a Kafka client's first requests get no broker's answer through the proxy
     * ({@link EndpointProbe}). Answers within about two seconds.
     */
    public Set<String> notServing(Collection<String> clusterIds) {
        Map<String, InetSocketAddress> probed = new HashMap<>();
        Set<String> down = new TreeSet<>();
        for (String id : clusterIds) {
            Slot slot = slots.get(id);
            Running r = slot == null ? null : slot.running();
            if (r == null) {
                down.add(id);
            } else {
                probed.put(id, probeAddress(r.proxy()));
            }
        }
        down.addAll(servingChecks.notServing(probed));
        return down;
    }

    /** Where this machine reaches a proxy: its bound address, loopback when it listens on every interface. */
    private InetSocketAddress probeAddress(KeyholdProxy proxy) {
        String host = settings.listenHost();
        boolean wildcard = host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
        return new InetSocketAddress(wildcard ? "127.0.0.1" : host, proxy.bootstrapAddress().getPort());
    }

    /** Appends, in the Prometheus text format, the proxy metrics of the running clusters {@code include} accepts. */
    public void writeMetrics(Appendable out, java.util.function.Predicate<String> include) throws IOException {
        List<io.keyhold.proxy.ProxyMetrics> metrics = new ArrayList<>();
        new TreeMap<>(slots).forEach((id, slot) -> {
            Running r = slot.running();
            if (r != null && include.test(id)) {
                metrics.add(r.proxy().metrics());
            }
        });
        io.keyhold.proxy.PrometheusExporter.write(metrics, out);
    }

    /**
     * Refuses produce and fetch and wipes every DEK (the key cannot be used). Remembered on disk, so
     * a cluster locked when the server stops comes back locked. Does not wait for a start under way:
     * the proxy it starts comes up locked.
     */
    public void lock(String clusterId) {
        setLocked(clusterId, true);
    }

    /** New records of the cluster get new DEKs, under its key's current version; nothing else changes. */
    public void retireEncryptionDeks(String clusterId) {
        Slot slot = slot(clusterId);
        synchronized (slot) {
            if (slot.running != null) {
                slot.running.proxy().retireEncryptionDeks();
            }
        }
    }

    public void unlock(String clusterId) {
        setLocked(clusterId, false);
    }

    /**
     * Moves a running cluster onto the KMS key {@code kmsKeyId} of {@code kmsKind} while it serves
     * traffic: its proxy re-wraps every cluster key under the new key in the key topic and reads
     * them back ({@link KeyholdProxy#rekey}), then the cluster's record names the new key, so
     * restarts use it. Records are not rewritten. Refused for a cluster created before cluster keys
     * (its records may name DEKs the old key wrapped itself, which only a rewrite could move), and for
     * one that is locked or not running. Holds the cluster's lifecycle lock: no start, stop or
     * delete meanwhile; produce and fetch go on.
     */
    public void rekey(String clusterId, String kmsKind, String kmsKeyId) throws Exception {
        Path dir = catalog.dir(clusterId);
        Slot slot = slot(clusterId);
        synchronized (slot.lifecycle) {
            Running r;
            synchronized (slot) {
                r = slot.running;
                if (r == null || slot.locked) {
                    throw new IllegalStateException("cluster " + clusterId + " is " + (r == null ? "not running here" : "locked")
                            + ": only a serving cluster can move to another key");
                }
            }
            Properties record = ClusterRecord.load(dir);
            if (!ClusterRecord.CLUSTER_KEYS_ONLY.equals(record.getProperty(ClusterRecord.RECORD_KEYS))) {
                throw new IllegalStateException("cluster " + clusterId + " was created before cluster keys: its older records"
                        + " name data keys wrapped by its KMS key itself, which only rewriting them could move to another key");
            }
            ClusterKeys.ClusterKey target = keys.keyFor(clusterId, kmsKind, kmsKeyId);
            int moved;
            try {
                moved = r.proxy().rekey(target.kekId(), target.kms()).get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception ex ? ex : e;
            }
            record.setProperty(ClusterRecord.KMS_KIND, kmsKind);
            record.setProperty(ClusterRecord.KMS_KEY, kmsKeyId);
            ClusterRecord.write(dir, record);
            LOG.info("cluster {}: re-keyed onto {} ({} cluster keys re-wrapped)", clusterId, target.kekId(), moved);
        }
    }

    /** Hands what the last health check of the cluster's key found to its proxy, for the metrics. */
    public void reportKmsHealth(String clusterId, io.keyhold.kms.KeyWatch.Status status) {
        Slot slot = slot(clusterId);
        synchronized (slot) {
            if (slot.running != null) {
                slot.running.proxy().reportKmsHealth(status);
            }
        }
    }

    private void setLocked(String clusterId, boolean locked) {
        Slot slot = slot(clusterId);
        synchronized (slot) {
            slot.locked = locked;
            mark(clusterId, locked);
            if (slot.running != null) {
                if (locked) {
                    slot.running.proxy().lock();
                } else {
                    slot.running.proxy().unlock();
                }
            }
        }
    }

    private void mark(String clusterId, boolean locked) {
        Path dir = catalog.dir(clusterId);
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
    public void delete(String clusterId) throws Exception {
        Path dir = catalog.dir(clusterId);
        Slot slot = slot(clusterId);
        synchronized (slot.lifecycle) {
            Running r;
            synchronized (slot) {
                r = slot.running;
                slot.running = null;
            }
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
            slots.remove(clusterId, slot);
        }
        LOG.info("cluster {}: deleted", clusterId);
    }

    /** Ids of every cluster recorded on this machine (running or not). */
    public List<String> known() throws IOException {
        return catalog.known();
    }

    /** Stops every cluster; their data and bindings stay for the next {@link #start}. A start under way stops when done. */
    @Override
    public void close() {
        closed = true;
        for (Map.Entry<String, Slot> e : new TreeMap<>(slots).entrySet()) {
            Running r;
            synchronized (e.getValue()) {
                r = e.getValue().running;
                e.getValue().running = null;
            }
            if (r != null) {
                try {
                    stop(e.getKey(), r);
                } catch (Exception ex) {
                    LOG.error("cluster {}: error while stopping: {}", e.getKey(), ex.toString());
                }
            }
        }
        keyLookups.shutdownNow();
        servingChecks.close();
    }

    private static void stop(String clusterId, Running r) throws Exception {
        try {
            r.proxy().close();
        } finally {
            r.upstream().stop().close();
            LOG.info("cluster {}: stopped", clusterId);
        }
    }

    /** The cluster's slot; a new one starts locked when the cluster was locked before a restart. */
    private Slot slot(String clusterId) {
        Path dir = catalog.dir(clusterId);
        return slots.computeIfAbsent(clusterId, id -> new Slot(Files.exists(dir.resolve(LOCKED_MARKER))));
    }
}
