package io.keyhold.proxy;

import io.keyhold.crypto.DekRotationPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one proxy (in front of one Kafka cluster) needs besides its KMS. Build with
 * {@link #builder(String, List, String)}.
 *
 * <p>Ports: clients first connect to {@code listenHost:listenPort} (the bootstrap port); every
 * upstream broker then gets a port of its own on the proxy, either {@code brokerPortBase + nodeId}
 * (stable across proxy restarts, so several proxy instances can sit behind one load balancer) or,
 * when {@code brokerPortBase} is null, a free port chosen when the broker is first seen.
 *
 * @param clusterId            names the cluster in logs and errors (never secret)
 * @param upstreamBootstrap    the cluster's bootstrap servers, {@code host:port} (an entry may hold several,
 *                             comma-separated); the proxy only ever connects to
 *                             these and to the brokers they advertise
 * @param kekId                the customer's key (KEK) in the KMS that wraps this cluster's DEKs
 * @param listenHost           interface to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}
 * @param listenPort           bootstrap port; 0 picks a free one
 * @param advertisedHost       host name clients are told to connect to (defaults to {@code listenHost})
 * @param brokerPortBase       see above; null for ephemeral broker ports
 * @param unencryptedRecords   what fetch does with records written without the proxy
 * @param maxFrameBytes        largest request a client may send; larger closes that connection
 * @param clientTls            TLS on the proxy's listeners (null: plaintext)
 * @param upstreamTls          TLS from the proxy to the brokers (null: plaintext)
 * @param dekRotation          when an encryption DEK is replaced
 * @param decryptionCacheSize  how many unwrapped DEKs fetch keeps
 * @param decryptionCacheTtl   how long an unwrapped DEK is kept before the KMS is asked again
 * @param kmsWait              how long a request that needs a DEK waits for the KMS before it is
 *                             answered with a retriable error (the connection's other requests wait
 *                             behind it; other connections do not)
 * @param upstreamSasl         whether the brokers require SASL (decides what a connection may do before
 *                             it has authenticated)
 * @param limits               what clients can make the proxy hold: connections, time, decompressed
 *                             bytes, encryption DEKs
 */
public record ProxyConfig(
        String clusterId,
        List<String> upstreamBootstrap,
        String kekId,
        String listenHost,
        int listenPort,
        String advertisedHost,
        Integer brokerPortBase,
        UnencryptedRecordPolicy unencryptedRecords,
        int maxFrameBytes,
        TlsSettings clientTls,
        TlsSettings upstreamTls,
        DekRotationPolicy dekRotation,
        int decryptionCacheSize,
        Duration decryptionCacheTtl,
        Duration kmsWait,
        UpstreamSasl upstreamSasl,
        Limits limits,
        ClusterKeys clusterKeys) {

    /**
     * Record DEKs derived from cluster keys kept in Keyhold's key topic of the same Kafka, instead of
     * one KMS call per DEK (see {@code docs/FORMAT.md}, "Cluster keys"); null: DEKs from the KMS.
     *
     * @param clientProperties Kafka client properties for the proxy's own connection to the key topic,
     *                         over its upstream bootstrap and TLS (e.g. SASL settings: the principal
     *                         that creates, writes and reads {@code __keyhold_keys})
     * @param keyTtl           how long an unwrapped cluster key is used before the KMS is asked again
     * @param maxAge           how old the current cluster key may grow before new records get a new one
     *                         (one KMS call), so that no cluster key serves new records for ever even
     *                         when the customer's key never rotates
     */
    public record ClusterKeys(Map<String, String> clientProperties, Duration keyTtl, Duration maxAge) {
        public static final Duration DEFAULT_KEY_TTL = Duration.ofHours(1);
        public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(30);
        public static final ClusterKeys DEFAULT = new ClusterKeys(Map.of(), DEFAULT_KEY_TTL);

        public ClusterKeys {
            clientProperties = Map.copyOf(clientProperties);
            if (keyTtl.isNegative() || keyTtl.isZero()) {
                throw new IllegalArgumentException("keyTtl must be positive, got " + keyTtl);
            }
            if (maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("maxAge must be positive, got " + maxAge);
            }
        }

        /** With the default {@link #DEFAULT_MAX_AGE}. */
        public ClusterKeys(Map<String, String> clientProperties, Duration keyTtl) {
            this(clientProperties, keyTtl, DEFAULT_MAX_AGE);
        }

        /** The client properties' names only: their values may hold credentials (a SASL JAAS line). */
        @Override
        public String toString() {
            return "ClusterKeys[clientProperties=" + new java.util.TreeSet<>(clientProperties.keySet()) + ", keyTtl=" + keyTtl
                    + ", maxAge=" + maxAge + "]";
        }
    }

    /** Under the Java client's default {@code request.timeout.ms} (30 s), so the proxy answers first. */
    public static final Duration DEFAULT_KMS_WAIT = Duration.ofSeconds(20);

    /** Kafka's own default for {@code socket.request.max.bytes}. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

    public ProxyConfig {
        Objects.requireNonNull(clusterId, "clusterId");
        upstreamBootstrap = upstreamBootstrap.stream().flatMap(s -> java.util.Arrays.stream(s.split(",")))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (upstreamBootstrap.isEmpty()) {
            throw new IllegalArgumentException("at least one upstream bootstrap server is required");
        }
        upstreamBootstrap.forEach(HostPort::parse);
        Objects.requireNonNull(kekId, "kekId");
        Objects.requireNonNull(listenHost, "listenHost");
        if (advertisedHost == null) {
            advertisedHost = listenHost.equals("0.0.0.0") || listenHost.equals("::") ? "localhost" : listenHost;
        }
        Objects.requireNonNull(unencryptedRecords, "unencryptedRecords");
        Objects.requireNonNull(dekRotation, "dekRotation");
        Objects.requireNonNull(decryptionCacheTtl, "decryptionCacheTtl");
        Objects.requireNonNull(kmsWait, "kmsWait");
        Objects.requireNonNull(upstreamSasl, "upstreamSasl");
        Objects.requireNonNull(limits, "limits");
        if (kmsWait.isNegative() || kmsWait.isZero()) {
            throw new IllegalArgumentException("kmsWait must be positive, got " + kmsWait);
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listenPort out of range: " + listenPort);
        }
        if (maxFrameBytes < 1024) {
            throw new IllegalArgumentException("maxFrameBytes must be at least 1024, got " + maxFrameBytes);
        }
        if (brokerPortBase != null && (brokerPortBase < 1 || brokerPortBase > 65535)) {
            throw new IllegalArgumentException("brokerPortBase out of range: " + brokerPortBase);
        }
    }

    /**
     * Bounds on what clients can make one proxy hold (see {@code docs/PROXY.md}, "Limits on what clients
     * can make the proxy hold").
     *
     * @param maxConnections           client connections at once, over all the proxy's ports
     * @param maxConnectionsPerAddress client connections at once from one IP address
     * @param frameTimeout             a client that begins a frame must send all of it within this
     * @param idleTimeout              a client connection that sends nothing for this long, and is owed
     *                                 nothing, is closed (Kafka's {@code connections.max.idle.ms})
     * @param maxDecompressedBytes     the records of one produce request may decompress to at most this
     * @param maxEncryptionDeks        encryption DEKs in memory at once (one per topic being written)
     * @param encryptionDekIdle        an encryption DEK unused for this long is wiped
     */
    public record Limits(int maxConnections, int maxConnectionsPerAddress, Duration frameTimeout, Duration idleTimeout,
                         long maxDecompressedBytes, int maxEncryptionDeks, Duration encryptionDekIdle) {
        /** Kafka's {@code connections.max.idle.ms}. */
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
        /** The Java client's {@code request.timeout.ms}: a client slower than this has given up on the request anyway. */
        public static final Duration DEFAULT_FRAME_TIMEOUT = Duration.ofSeconds(30);
        /** 128 times Kafka's default {@code message.max.bytes} (1 MiB, which bounds a compressed batch). */
        public static final long DEFAULT_MAX_DECOMPRESSED_BYTES = 128L * 1024 * 1024;
        public static final Limits DEFAULT = new Limits(10_000, 1_000, DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_MAX_DECOMPRESSED_BYTES, io.keyhold.crypto.EncryptionDekCache.DEFAULT_MAX_ENTRIES,
                io.keyhold.crypto.EncryptionDekCache.DEFAULT_MAX_IDLE);

        public Limits {
            Objects.requireNonNull(frameTimeout, "frameTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(encryptionDekIdle, "encryptionDekIdle");
            if (maxConnections < 1 || maxConnectionsPerAddress < 1) {
                throw new IllegalArgumentException("connection limits must be at least 1, got " + maxConnections + " and "
                        + maxConnectionsPerAddress);
            }
            for (Duration d : List.of(frameTimeout, idleTimeout, encryptionDekIdle)) {
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("timeouts must be positive, got " + d);
                }
            }
            if (maxDecompressedBytes < 1024 * 1024) {
                throw new IllegalArgumentException("maxDecompressedBytes must be at least 1 MiB, got " + maxDecompressedBytes);
            }
            if (maxEncryptionDeks < 1) {
                throw new IllegalArgumentException("maxEncryptionDeks must be at least 1, got " + maxEncryptionDeks);
            }
        }

        public Limits withConnections(int max, int perAddress) {
            return new Limits(max, perAddress, frameTimeout, idleTimeout, maxDecompressedBytes, maxEncryptionDeks, encryptionDekIdle);
        }

        public Limits withTimeouts(Duration frame, Duration idle) {
            return new Limits(maxConnections, maxConnectionsPerAddress, frame, idle, maxDecompressedBytes, maxEncryptionDeks,
                    encryptionDekIdle);
        }

        public Limits withMaxDecompressedBytes(long bytes) {
            return new Limits(maxConnections, maxConnectionsPerAddress, frameTimeout, idleTimeout, bytes, maxEncryptionDeks,
                    encryptionDekIdle);
        }

        public Limits withEncryptionDeks(int max, Duration idle) {
            return new Limits(maxConnections, maxConnectionsPerAddress, frameTimeout, idleTimeout, maxDecompressedBytes, max, idle);
        }
    }

    public static Builder builder(String clusterId, List<String> upstreamBootstrap, String kekId) {
        return new Builder(clusterId, upstreamBootstrap, kekId);
    }

    /** A {@code host:port} pair. */
    public record HostPort(String host, int port) {
        public static HostPort parse(String s) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("expected host:port, got '" + s + "'");
            }
            String host = s.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                int port = Integer.parseInt(s.substring(colon + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port out of range in '" + s + "'");
                }
                return new HostPort(host, port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected host:port, got '" + s + "'");
            }
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public static final class Builder {
        private final String clusterId;
        private final List<String> upstream;
        private final String kekId;
        private String listenHost = "127.0.0.1";
        private int listenPort;
        private String advertisedHost;
        private Integer brokerPortBase;
        private UnencryptedRecordPolicy unencrypted = UnencryptedRecordPolicy.REJECT;
        private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
        private TlsSettings clientTls;
        private TlsSettings upstreamTls;
        private DekRotationPolicy dekRotation = DekRotationPolicy.DEFAULT;
        private int decryptionCacheSize = 10_000;
        private Duration decryptionCacheTtl = Duration.ofMinutes(5);
        private Duration kmsWait = DEFAULT_KMS_WAIT;
        private UpstreamSasl upstreamSasl = UpstreamSasl.DETECT;
        private Limits limits = Limits.DEFAULT;
        private ClusterKeys clusterKeys;

        private Builder(String clusterId, List<String> upstream, String kekId) {
            this.clusterId = clusterId;
            this.upstream = upstream;
            this.kekId = kekId;
        }

        public Builder listen(String host, int port) {
            this.listenHost = host;
            this.listenPort = port;
            return this;
        }

        public Builder advertisedHost(String host) {
            this.advertisedHost = host;
            return this;
        }

        public Builder brokerPortBase(Integer base) {
            this.brokerPortBase = base;
            return this;
        }

        public Builder unencryptedRecords(UnencryptedRecordPolicy policy) {
            this.unencrypted = policy;
            return this;
        }

        public Builder maxFrameBytes(int bytes) {
            this.maxFrameBytes = bytes;
            return this;
        }

        public Builder clientTls(TlsSettings tls) {
            this.clientTls = tls;
            return this;
        }

        public Builder upstreamTls(TlsSettings tls) {
            this.upstreamTls = tls;
            return this;
        }

        public Builder dekRotation(DekRotationPolicy policy) {
            this.dekRotation = policy;
            return this;
        }

        public Builder decryptionCache(int size, Duration ttl) {
            this.decryptionCacheSize = size;
            this.decryptionCacheTtl = ttl;
            return this;
        }

        public Builder kmsWait(Duration wait) {
            this.kmsWait = wait;
            return this;
        }

        public Builder upstreamSasl(UpstreamSasl sasl) {
            this.upstreamSasl = sasl;
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = limits;
            return this;
        }

        /** Derive record DEKs from cluster keys (null: a KMS call per DEK, as before). */
        public Builder clusterKeys(ClusterKeys keys) {
            this.clusterKeys = keys;
            return this;
        }

        /** The limits so far, to change one of them: {@code b.limits(b.limits().withConnections(...))}. */
        public Limits limits() {
            return limits;
        }

        public ProxyConfig build() {
            return new ProxyConfig(clusterId, upstream, kekId, listenHost, listenPort, advertisedHost, brokerPortBase,
                    unencrypted, maxFrameBytes, clientTls, upstreamTls, dekRotation, decryptionCacheSize, decryptionCacheTtl, kmsWait,
                    upstreamSasl, limits, clusterKeys);
        }
    }
}
