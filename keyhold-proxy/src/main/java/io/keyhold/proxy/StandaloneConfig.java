package io.keyhold.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyhold.kms.KmsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The {@code proxy.yaml} of a standalone proxy ({@code keyhold proxy --config proxy.yaml}):
 *
 * <pre>
 * kms:                       # default KMS for every cluster
 *   provider: local          # a KmsProvider kind
 *   settings:                # provider settings; ${NAME} is replaced by environment variable NAME
 *     data-dir: /var/lib/keyhold/kms
 *     passphrase: ${KEYHOLD_KMS_PASSPHRASE}
 * clusters:
 *   - id: orders
 *     upstream: [broker-1:9092, broker-2:9092]
 *     key: orders-kek                  # the KEK in the KMS
 *     listen: 0.0.0.0:9192             # bootstrap address
 *     advertised-host: proxy.internal  # optional
 *     broker-port-base: 9200           # optional; broker N listens on base+N
 *     unencrypted-records: reject      # or reject-except-bare-tombstones, pass-through
 *     max-frame-bytes: 104857600       # optional
 *     upstream-sasl: detect            # or required: the brokers require SASL (see docs/PROXY.md)
 *     max-connections: 10000           # optional limits on what clients can make the proxy hold
 *     max-connections-per-address: 1000
 *     frame-timeout-ms: 30000
 *     idle-timeout-ms: 600000
 *     max-decompressed-bytes: 134217728
 *     tls: { cert: proxy.pem, key: proxy.key }   # optional, client-facing TLS
 *     upstream-tls: { trust: ca.pem }             # optional, TLS to the brokers
 *     cluster-keys: true               # default: record DEKs derive from cluster keys kept in the Kafka's
 *                                      # __keyhold_keys topic (docs/FORMAT.md); false: one KMS call per DEK
 *     cluster-keys-client: { sasl.mechanism: SCRAM-SHA-512, ... }  # optional Kafka client properties of the
 *                                      # proxy's own connection to __keyhold_keys (its principal)
 *     cluster-key-ttl-ms: 3600000      # optional: how long an unwrapped cluster key is used before the KMS is asked again
 *     cluster-key-max-age-ms: 2592000000  # optional: after this (30 days), new records get a new cluster key
 *     kms: { provider: ..., settings: ... }       # optional, overrides the default
 * health-interval: 30s       # how often each cluster's key is checked at its KMS (a wrap/unwrap round trip)
 * kms-unavailable-grace: 10m # how long a cluster serves from cached DEKs while its KMS cannot be reached
 * audit:                     # optional: lock, unlock and outage events as JSON lines
 *   file: /var/log/keyhold/proxy-audit.jsonl
 * metrics:                   # optional: GET /metrics in Prometheus text format, for every cluster
 *   listen: 127.0.0.1:9464
 *   token-env: KEYHOLD_METRICS_TOKEN          # required: scrapers send "Authorization: Bearer $token"
 *   tls: { cert: metrics.pem, key: metrics.key }  # optional
 * audit:                     # optional: the proxy's audit trail (every KMS call), as JSON lines
 *   file: /var/log/keyhold/audit.jsonl        # appended, owner-only, fsync'd per batch
 * </pre>
 *
 * Secrets belong in environment variables (or Keyhold's secret files), never in this file.
 *
 * @param metrics             the metrics endpoint, or null when the file has no {@code metrics} section
 * @param healthInterval      how often each cluster's key is checked (a real generate and unwrap round trip)
 * @param kmsUnavailableGrace how long a cluster keeps serving from cached DEKs while its KMS cannot be reached
 * @param auditFile           where lock, unlock and outage events are appended as JSON lines, or null
 */
public record StandaloneConfig(List<Cluster> clusters, Metrics metrics, Duration healthInterval, Duration kmsUnavailableGrace,
                               Path auditFile) {
    /** The defaults of {@code health-interval} and {@code kms-unavailable-grace}, as in {@code keyhold server}. */
    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_KMS_UNAVAILABLE_GRACE = Duration.ofMinutes(10);

    /** One proxied cluster: its proxy settings and the KMS that holds its key. */
    public record Cluster(ProxyConfig proxy, String kmsProvider, KmsConfig kmsSettings) {
    }

    /** Shortest scrape token accepted: shorter ones can be guessed by a patient scraper. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /**
     * The metrics endpoint. Every Keyhold endpoint requires authentication, so there is no way to
     * configure it without a token.
     *
     * @param listen   the exact address to bind
     * @param tokenEnv the environment variable the token was read from (for messages)
     * @param token    the bearer token scrapers must send; never printed
     * @param tls      TLS for the endpoint, or null for plain HTTP
     */
    public record Metrics(ProxyConfig.HostPort listen, String tokenEnv, String token, TlsSettings tls) {
        @Override
        public String toString() {
            return "Metrics[listen=" + listen + ", tokenEnv=" + tokenEnv + ", tls=" + (tls != null) + "]";
        }
    }

    public static StandaloneConfig load(Path file) throws IOException {
        return load(file, System::getenv);
    }

    /** Reads {@code file}, looking up {@code ${NAME}} and {@code token-env} in {@code env} instead of the process environment. */
    public static StandaloneConfig load(Path file, UnaryOperator<String> env) throws IOException {
        return parse(new ObjectMapper(new YAMLFactory()).readTree(file.toFile()), file.toAbsolutePath().getParent(), env);
    }

    /** Parses an already-read tree; {@code env} resolves {@code ${NAME}} (tests pass their own). */
    static StandaloneConfig parse(JsonNode root, Path baseDir, UnaryOperator<String> env) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("proxy config: expected a mapping at the top level");
        }
        JsonNode defaultKms = root.get("kms");
        JsonNode clusters = root.get("clusters");
        if (clusters == null || !clusters.isArray() || clusters.isEmpty()) {
            throw new IllegalArgumentException("proxy config: 'clusters' must list at least one cluster");
        }
        List<Cluster> out = new ArrayList<>();
        for (JsonNode c : clusters) {
            out.add(cluster(c, defaultKms, baseDir, env));
        }
        JsonNode metrics = root.get("metrics");
        String interval = text(root, "health-interval", env, null);
        Duration healthInterval = interval == null ? DEFAULT_HEALTH_INTERVAL : ConfigDurations.parse(interval, "health-interval");
        if (healthInterval.isZero() || healthInterval.isNegative()) {
            throw new IllegalArgumentException("proxy config: 'health-interval' must be positive");
        }
        String grace = text(root, "kms-unavailable-grace", env, null);
        Duration kmsGrace = grace == null ? DEFAULT_KMS_UNAVAILABLE_GRACE : ConfigDurations.parse(grace, "kms-unavailable-grace");
        if (kmsGrace.isNegative()) {
            throw new IllegalArgumentException("proxy config: 'kms-unavailable-grace' must not be negative");
        }
        return new StandaloneConfig(List.copyOf(out), metrics == null || metrics.isNull() ? null : metrics(metrics, baseDir, env),
                healthInterval, kmsGrace, auditFile(root.get("audit"), baseDir, env));
    }

    private static Path auditFile(JsonNode audit, Path baseDir, UnaryOperator<String> env) {
        if (audit == null || audit.isNull()) {
            return null;
        }
        YamlValues.onlyFields(audit, java.util.Set.of("file"), "proxy config: audit: ");
        if (!audit.has("file")) {
            throw new IllegalArgumentException("proxy config: 'audit.file' (the file the audit trail is appended to) is required");
        }
        return YamlValues.path(audit, "file", baseDir, env, "proxy config: audit: ");
    }

    private static Metrics metrics(JsonNode m, Path baseDir, UnaryOperator<String> env) {
        YamlValues.onlyFields(m, java.util.Set.of("listen", "token-env", "tls"), "proxy config: metrics: ");
        String listen = text(m, "listen", env, null);
        if (listen == null) {
            throw new IllegalArgumentException("proxy config: 'metrics.listen' (host:port of the metrics endpoint) is required");
        }
        String tokenEnv = text(m, "token-env", env, null);
        if (tokenEnv == null) {
            throw new IllegalArgumentException("proxy config: 'metrics.token-env' is required: it names the environment variable"
                    + " holding the token scrapers must send (every Keyhold endpoint requires authentication)");
        }
        String token = env.apply(tokenEnv);
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("proxy config: environment variable " + tokenEnv + " (metrics.token-env) is not set;"
                    + " set it to a random token, e.g. the output of 'openssl rand -hex 32'");
        }
        if (token.length() < MIN_TOKEN_LENGTH || !token.strip().equals(token)) {
            throw new IllegalArgumentException("proxy config: the metrics token in " + tokenEnv + " must be at least "
                    + MIN_TOKEN_LENGTH + " characters without leading or trailing spaces, e.g. the output of 'openssl rand -hex 32'");
        }
        JsonNode tls = m.get("tls");
        TlsSettings tlsSettings = null;
        if (tls != null) {
            YamlValues.onlyFields(tls, java.util.Set.of("cert", "key"), "proxy config: metrics.tls: ");
            tlsSettings = TlsSettings.server(YamlValues.path(tls, "cert", baseDir, env, "proxy config: metrics: "),
                    YamlValues.path(tls, "key", baseDir, env, "proxy config: metrics: "));
        }
        return new Metrics(ProxyConfig.HostPort.parse(listen), tokenEnv, token, tlsSettings);
    }

    private static Cluster cluster(JsonNode c, JsonNode defaultKms, Path baseDir, UnaryOperator<String> env) {
        String id = text(c, "id", env, null);
        if (id == null) {
            throw new IllegalArgumentException("proxy config: every cluster needs an 'id'");
        }
        String where = "cluster '" + id + "': ";
        UpstreamSettings upstream = UpstreamSettings.parse(c.get("upstream"), c.get("upstream-tls"), baseDir, env, where, "upstream");
        String key = text(c, "key", env, null);
        if (key == null) {
            throw new IllegalArgumentException(where + "'key' (the KEK id) is required");
        }
        ProxyConfig.HostPort listen = ProxyConfig.HostPort.parse(text(c, "listen", env, "127.0.0.1:9192"));
        ProxyConfig.Builder b = ProxyConfig.builder(id, upstream.bootstrapServers(), key).upstreamTls(upstream.tls())
                .listen(listen.host(), listen.port()).advertisedHost(text(c, "advertised-host", env, null));
        String base = text(c, "broker-port-base", env, null);
        if (base != null) {
            b.brokerPortBase(Integer.parseInt(base));
        }
        String policy = text(c, "unencrypted-records", env, "reject");
        b.unencryptedRecords(UnencryptedRecordPolicy.valueOf(policy.toUpperCase(Locale.ROOT).replace('-', '_')));
        String maxFrame = text(c, "max-frame-bytes", env, null);
        if (maxFrame != null) {
            b.maxFrameBytes(Integer.parseInt(maxFrame));
        }
        String sasl = text(c, "upstream-sasl", env, "detect");
        try {
            b.upstreamSasl(UpstreamSasl.valueOf(sasl.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "'upstream-sasl' must be 'detect' or 'required', got '" + sasl + "'");
        }
        b.limits(limits(c, env, where));
        b.clusterKeys(clusterKeys(c, env, where));
        JsonNode tls = c.get("tls");
        if (tls != null && !tls.isNull()) {
            b.clientTls(listenerTls(tls, baseDir, env, where));
        }
        JsonNode kms = c.has("kms") ? c.get("kms") : defaultKms;
        if (kms == null || text(kms, "provider", env, null) == null) {
            throw new IllegalArgumentException(where + "no KMS: set 'kms.provider' at the top level or for the cluster");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        JsonNode s = kms.get("settings");
        if (s != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                settings.put(e.getKey(), YamlValues.expand(e.getValue().asText(), env));
            }
        }
        return new Cluster(b.build(), text(kms, "provider", env, null), KmsConfig.of(settings));
    }

    /** A cluster's {@code tls: {cert, key, client-auth, trust}}: the listeners' certificate and, optionally, client certificates. */
    private static TlsSettings listenerTls(JsonNode tls, Path baseDir, UnaryOperator<String> env, String where) {
        YamlValues.onlyFields(tls, java.util.Set.of("cert", "key", "client-auth", "trust"), where + "tls: ");
        try {
            return TlsSettings.server(YamlValues.path(tls, "cert", baseDir, env, where),
                    YamlValues.path(tls, "key", baseDir, env, where),
                    TlsSettings.ClientAuth.parse(text(tls, "client-auth", env, "none")),
                    YamlValues.optionalPath(tls, "trust", baseDir, env));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith(where) ? e.getMessage() : where + "tls: " + e.getMessage(), e);
        }
    }

    /** Cluster keys unless {@code cluster-keys: false}; the key topic client's properties ({@code ${NAME}} expanded). */
    private static ProxyConfig.ClusterKeys clusterKeys(JsonNode c, UnaryOperator<String> env, String where) {
        String on = text(c, "cluster-keys", env, "true");
        if (!on.equals("true") && !on.equals("false")) {
            throw new IllegalArgumentException(where + "'cluster-keys' must be true or false, got '" + on + "'");
        }
        if (on.equals("false")) {
            return null;
        }
        Map<String, String> props = KeyTopicClientProperties.parse(c.get(KeyTopicClientProperties.FIELD), env, where);
        long ttl = number(c, "cluster-key-ttl-ms", env, ProxyConfig.ClusterKeys.DEFAULT_KEY_TTL.toMillis());
        long maxAge = number(c, "cluster-key-max-age-ms", env, ProxyConfig.ClusterKeys.DEFAULT_MAX_AGE.toMillis());
        return new ProxyConfig.ClusterKeys(props, java.time.Duration.ofMillis(ttl), java.time.Duration.ofMillis(maxAge));
    }

    /** The cluster's limits on what clients can make the proxy hold; each defaults to {@link ProxyConfig.Limits#DEFAULT}. */
    private static ProxyConfig.Limits limits(JsonNode c, UnaryOperator<String> env, String where) {
        ProxyConfig.Limits d = ProxyConfig.Limits.DEFAULT;
        try {
            return new ProxyConfig.Limits(
                    (int) number(c, "max-connections", env, d.maxConnections()),
                    (int) number(c, "max-connections-per-address", env, d.maxConnectionsPerAddress()),
                    java.time.Duration.ofMillis(number(c, "frame-timeout-ms", env, d.frameTimeout().toMillis())),
                    java.time.Duration.ofMillis(number(c, "idle-timeout-ms", env, d.idleTimeout().toMillis())),
                    number(c, "max-decompressed-bytes", env, d.maxDecompressedBytes()),
                    d.maxEncryptionDeks(), d.encryptionDekIdle());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    private static long number(JsonNode c, String field, UnaryOperator<String> env, long dflt) {
        String v = text(c, field, env, null);
        if (v == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < 1 || n > Integer.MAX_VALUE && !field.equals("max-decompressed-bytes")) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + field + "' must be a positive whole number, got '" + v + "'");
        }
    }

    private static String text(JsonNode n, String field, UnaryOperator<String> env, String dflt) {
        return YamlValues.text(n, field, env, dflt);
    }
}
