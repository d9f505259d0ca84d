package io.keyhold.embedded;

import io.keyhold.embedded.internal.EmbeddedBroker;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clusters that run on this machine: each has a real single-node KRaft Kafka in this JVM with its
 * data under {@code DATA_DIR/clusters/<id>/}, and an encrypting proxy in front of it on two ports
 * from a configured range (bootstrap, and the broker's own port). Clients only ever get the
 * proxy's address. What a cluster needs to come back after a restart (its ports, Kafka cluster id
 * and key binding) is kept in {@code cluster.properties} next to its data.
 */
public final class EmbeddedClusters implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedClusters.class);
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String RECORD = "cluster.properties";
    private static final String LOCKED_MARKER = "locked";

    /**
     * @param dataDir        Keyhold's data directory; clusters live in {@code dataDir/clusters}
     * @param listenHost     the interface proxies bind (brokers always bind 127.0.0.1)
     * @param advertisedHost the host name clients are told to use
     * @param portRangeStart first port proxies may use (each cluster takes two consecutive ports)
     * @param portRangeEnd   last port proxies may use
     */
    public record Settings(Path dataDir, String listenHost, String advertisedHost, int portRangeStart, int portRangeEnd) {
        public Settings {
            if (portRangeStart < 1 || portRangeEnd > 65535 || portRangeEnd <= portRangeStart) {
                throw new IllegalArgumentException("bad proxy port range " + portRangeStart + "-" + portRangeEnd);
            }
        }
    }

    private record Running(EmbeddedBroker broker, KeyholdProxy proxy) {
    }

    private final Settings settings;
    private final ClusterKeys keys;
    private final Map<String, Running> running = new HashMap<>();

    public EmbeddedClusters(Settings settings, ClusterKeys keys) {
        this.settings = settings;
        this.keys = keys;
    }

    /**
     * Starts cluster {@code clusterId}: creates it (formats a new broker, picks ports) the first
     * time, restarts it with its existing data afterwards. Blocks until clients can connect.
     *
     * @return the bootstrap endpoint ({@code host:port}) clients use
     */
    public synchronized String start(String clusterId, String kmsKind, String kmsKeyId) throws Exception {
        Path dir = clusterDir(clusterId);
        Running r = running.get(clusterId);
        if (r != null) {
            return r.proxy().bootstrapServers();
        }
        Properties record = Files.exists(dir.resolve(RECORD)) ? load(dir) : create(dir, kmsKind, kmsKeyId);
        int brokerPort = Integer.parseInt(record.getProperty("broker.port"));
        int controllerPort = Integer.parseInt(record.getProperty("controller.port"));
        int proxyPort = Integer.parseInt(record.getProperty("proxy.port"));
        EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), record.getProperty("kafka.cluster.id"),
                brokerPort, controllerPort);
        try {
            ClusterKeys.ClusterKey key = keys.keyFor(clusterId, record.getProperty("kms.kind"), record.getProperty("kms.key"));
            ProxyConfig config = ProxyConfig.builder(clusterId, List.of(broker.bootstrapServers()), key.kekId())
                    .listen(settings.listenHost(), proxyPort)
                    .advertisedHost(settings.advertisedHost())
                    .brokerPortBase(proxyPort) // node 1 is reached on proxyPort + 1
                    .build();
            KeyholdProxy proxy = KeyholdProxy.start(config, key.kms());
            if (Files.exists(dir.resolve(LOCKED_MARKER))) {
                proxy.lock(); // locked before a restart: stays locked until the control plane unlocks it
            }
            running.put(clusterId, new Running(broker, proxy));
            LOG.info("cluster {}: running, endpoint {}", clusterId, proxy.bootstrapServers());
            return proxy.bootstrapServers();
        } catch (Exception | Error e) {
            broker.close();
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
                Files.writeString(dir.resolve(LOCKED_MARKER), "locked: the cluster's key cannot be used\n");
            } else if (!locked) {
                Files.deleteIfExists(dir.resolve(LOCKED_MARKER));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the lock state of cluster " + clusterId, e);
        }
    }

    /** Stops the cluster (locking it first, so no DEK outlives it) and deletes all its data. */
    public synchronized void delete(String clusterId) throws IOException {
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
        LOG.info("cluster {}: deleted with its data", clusterId);
    }

    /** Ids of every cluster that has data on this machine (running or not). */
    public synchronized List<String> known() throws IOException {
        Path root = settings.dataDir().resolve("clusters");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.exists(d.resolve(RECORD))).map(d -> d.getFileName().toString()).sorted().toList();
        }
    }

    /** Stops every cluster; their data stays for the next {@link #start}. */
    @Override
    public synchronized void close() {
        for (Map.Entry<String, Running> e : new ArrayList<>(running.entrySet())) {
            stop(e.getKey(), e.getValue());
        }
        running.clear();
    }

    private static void stop(String clusterId, Running r) {
        try {
            r.proxy().close();
        } finally {
            r.broker().close();
            LOG.info("cluster {}: stopped", clusterId);
        }
    }

    private Path clusterDir(String clusterId) {
        if (!SAFE_ID.matcher(clusterId).matches()) {
            throw new IllegalArgumentException("cluster id '" + clusterId + "' is not a safe directory name");
        }
        return settings.dataDir().resolve("clusters").resolve(clusterId);
    }

    private Properties create(Path dir, String kmsKind, String kmsKeyId) throws IOException {
        Files.createDirectories(dir);
        Properties p = new Properties();
        p.setProperty("kafka.cluster.id", Uuid.randomUuid().toString());
        p.setProperty("broker.port", String.valueOf(freePort()));
        p.setProperty("controller.port", String.valueOf(freePort()));
        p.setProperty("proxy.port", String.valueOf(freeProxyPorts()));
        if (kmsKind != null) {
            p.setProperty("kms.kind", kmsKind);
        }
        if (kmsKeyId != null) {
            p.setProperty("kms.key", kmsKeyId);
        }
        Path tmp = dir.resolve(RECORD + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Keyhold embedded cluster: ports and ids it needs to come back after a restart");
        }
        Files.move(tmp, dir.resolve(RECORD), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return p;
    }

    private static Properties load(Path dir) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(RECORD))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(RECORD), e);
        }
        return p;
    }

    /** Two consecutive free ports in the range, not promised to any other cluster on disk. */
    private int freeProxyPorts() throws IOException {
        Set<Integer> taken = new HashSet<>();
        for (String id : known()) {
            taken.add(Integer.parseInt(load(clusterDir(id)).getProperty("proxy.port")));
        }
        for (int p = settings.portRangeStart(); p + 1 <= settings.portRangeEnd(); p += 2) {
            if (!taken.contains(p) && bindable(p) && bindable(p + 1)) {
                return p;
            }
        }
        throw new IOException("no free ports left in the proxy port range " + settings.portRangeStart() + "-"
                + settings.portRangeEnd());
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
