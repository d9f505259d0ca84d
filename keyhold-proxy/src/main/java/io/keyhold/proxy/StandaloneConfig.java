package io.keyhold.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyhold.kms.KmsConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 *     unencrypted-records: reject      # or pass-through
 *     max-frame-bytes: 104857600       # optional
 *     tls: { cert: proxy.pem, key: proxy.key }   # optional, client-facing TLS
 *     upstream-tls: { trust: ca.pem }             # optional, TLS to the brokers
 *     kms: { provider: ..., settings: ... }       # optional, overrides the default
 * metrics:                   # optional: GET /metrics in Prometheus text format, for every cluster
 *   listen: 127.0.0.1:9464
 *   token-env: KEYHOLD_METRICS_TOKEN          # required: scrapers send "Authorization: Bearer $token"
 *   tls: { cert: metrics.pem, key: metrics.key }  # optional
 * </pre>
 *
 * Secrets belong in environment variables (or Keyhold's secret files), never in this file.
 *
 * @param metrics the metrics endpoint, or null when the file has no {@code metrics} section
 */
public record StandaloneConfig(List<Cluster> clusters, Metrics metrics) {
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

    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

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
        return new StandaloneConfig(List.copyOf(out), metrics == null || metrics.isNull() ? null : metrics(metrics, baseDir, env));
    }

    private static Metrics metrics(JsonNode m, Path baseDir, UnaryOperator<String> env) {
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
        TlsSettings tlsSettings = tls == null ? null : TlsSettings.server(path(tls, "cert", baseDir, env), path(tls, "key", baseDir, env));
        return new Metrics(ProxyConfig.HostPort.parse(listen), tokenEnv, token, tlsSettings);
    }

    private static Cluster cluster(JsonNode c, JsonNode defaultKms, Path baseDir, UnaryOperator<String> env) {
        String id = text(c, "id", env, null);
        if (id == null) {
            throw new IllegalArgumentException("proxy config: every cluster needs an 'id'");
        }
        String where = "cluster '" + id + "': ";
        List<String> upstream = new ArrayList<>();
        JsonNode up = c.get("upstream");
        if (up == null) {
            throw new IllegalArgumentException(where + "'upstream' (bootstrap servers) is required");
        }
        if (up.isArray()) {
            up.forEach(u -> upstream.add(expand(u.asText(), env)));
        } else {
            for (String s : expand(up.asText(), env).split(",")) {
                upstream.add(s.trim());
            }
        }
        String key = text(c, "key", env, null);
        if (key == null) {
            throw new IllegalArgumentException(where + "'key' (the KEK id) is required");
        }
        ProxyConfig.HostPort listen = ProxyConfig.HostPort.parse(text(c, "listen", env, "127.0.0.1:9192"));
        ProxyConfig.Builder b = ProxyConfig.builder(id, upstream, key).listen(listen.host(), listen.port())
                .advertisedHost(text(c, "advertised-host", env, null));
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
        JsonNode tls = c.get("tls");
        if (tls != null) {
            b.clientTls(TlsSettings.server(path(tls, "cert", baseDir, env), path(tls, "key", baseDir, env)));
        }
        JsonNode upTls = c.get("upstream-tls");
        if (upTls != null) {
            b.upstreamTls(new TlsSettings(optionalPath(upTls, "cert", baseDir, env), optionalPath(upTls, "key", baseDir, env),
                    optionalPath(upTls, "trust", baseDir, env)));
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
                settings.put(e.getKey(), expand(e.getValue().asText(), env));
            }
        }
        return new Cluster(b.build(), text(kms, "provider", env, null), KmsConfig.of(settings));
    }

    private static String text(JsonNode n, String field, UnaryOperator<String> env, String dflt) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dflt : expand(v.asText(), env);
    }

    private static Path path(JsonNode n, String field, Path baseDir, UnaryOperator<String> env) {
        Path p = optionalPath(n, field, baseDir, env);
        if (p == null) {
            throw new IllegalArgumentException("proxy config: TLS '" + field + "' is required");
        }
        return p;
    }

    private static Path optionalPath(JsonNode n, String field, Path baseDir, UnaryOperator<String> env) {
        String s = text(n, field, env, null);
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
    }

    /** Replaces {@code ${NAME}} with environment variable NAME; an unset variable is an error, never "". */
    private static String expand(String s, UnaryOperator<String> env) {
        Matcher m = ENV.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = env.apply(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("proxy config: environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }
}
