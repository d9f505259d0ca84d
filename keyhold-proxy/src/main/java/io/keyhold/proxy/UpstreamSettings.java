package io.keyhold.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * How a proxy reaches one Kafka cluster: its bootstrap servers and, optionally, TLS. Read from YAML
 * by the standalone proxy ({@code upstream}, {@code upstream-tls}) and by {@code keyhold server}
 * for registered Kafka clusters ({@code bootstrap-servers}, {@code tls}), so both accept the same
 * forms and give the same errors.
 *
 * @param bootstrapServers {@code host:port} entries, each checked
 * @param tls              TLS to the brokers, or null for plaintext
 */
public record UpstreamSettings(List<String> bootstrapServers, TlsSettings tls) {
    private static final Set<String> TLS_FIELDS = Set.of("trust", "cert", "key");

    public UpstreamSettings {
        bootstrapServers = List.copyOf(bootstrapServers);
        if (bootstrapServers.isEmpty()) {
            throw new IllegalArgumentException("at least one bootstrap server is required");
        }
        bootstrapServers.forEach(ProxyConfig.HostPort::parse);
    }

    /**
     * Parses the two YAML nodes.
     *
     * @param servers a list ({@code [b1:9092, b2:9092]}) or one comma-separated string; null is an error
     * @param tls     {@code {trust, cert, key}} (PEM files; all optional, cert and key together), or null
     * @param baseDir relative TLS paths are resolved against it (the config file's directory)
     * @param env     resolves {@code ${NAME}} in values
     * @param where   prefixes every error, e.g. {@code "cluster 'orders': "}
     * @param field   the servers' field name, for errors
     */
    public static UpstreamSettings parse(JsonNode servers, JsonNode tls, Path baseDir, UnaryOperator<String> env, String where,
                                         String field) {
        if (servers == null || servers.isNull()) {
            throw new IllegalArgumentException(where + "'" + field + "' (bootstrap servers) is required");
        }
        List<String> out = new ArrayList<>();
        if (servers.isArray()) {
            servers.forEach(s -> out.add(YamlValues.expand(s.asText(), env).trim()));
        } else {
            for (String s : YamlValues.expand(servers.asText(), env).split(",")) {
                out.add(s.trim());
            }
        }
        out.removeIf(String::isEmpty);
        if (out.isEmpty()) {
            throw new IllegalArgumentException(where + "'" + field + "' must list at least one host:port");
        }
        TlsSettings upstreamTls = tls(tls, baseDir, env, where);
        try {
            return new UpstreamSettings(out, upstreamTls);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "'" + field + "': " + e.getMessage(), e);
        }
    }

    private static TlsSettings tls(JsonNode tls, Path baseDir, UnaryOperator<String> env, String where) {
        if (tls == null || tls.isNull()) {
            return null;
        }
        YamlValues.onlyFields(tls, TLS_FIELDS, where + "upstream TLS: ");
        Path cert = YamlValues.optionalPath(tls, "cert", baseDir, env);
        Path key = YamlValues.optionalPath(tls, "key", baseDir, env);
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException(where + "upstream TLS: 'cert' and 'key' (a client certificate) go together");
        }
        return new TlsSettings(cert, key, YamlValues.optionalPath(tls, "trust", baseDir, env));
    }
}
