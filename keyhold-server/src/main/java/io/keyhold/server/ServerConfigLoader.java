package io.keyhold.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keyhold.proxy.TlsSettings;
import io.keyhold.server.internal.config.KafkaClustersConfig;
import io.keyhold.server.internal.config.NotificationsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a {@link ServerConfig} from, in order of precedence: command-line options, {@code KEYHOLD_*}
 * environment variables (option name upper-cased, dashes and dots as underscores: {@code --http-port}
 * is {@code KEYHOLD_HTTP_PORT}), the YAML file of {@code --config} / {@code KEYHOLD_CONFIG}, defaults.
 *
 * <p>YAML keys are the option names; nested maps are joined with dots, so {@code kms: {aws: {region: x}}}
 * is {@code kms.aws.region}. The exception is {@code kafka-clusters}, a list of registered Kafka
 * clusters (see {@link KafkaClustersConfig}), which only the YAML file can hold.
 */
public final class ServerConfigLoader {
    /** Every option the server reads. */
    public static final List<String> OPTIONS = List.of("data-dir", "http-port", "bind", "public-url", "database-url",
            "database-user", "database-password", "release-hold", "max-keys-per-org", "rate-limit", "rate-limit-window",
            "validation-interval", "health-interval", "kms-unavailable-grace", "max-body-bytes", "aws-roles", "azure-application-id", "gcp-security-group",
            "bootstrap-api-key", "bootstrap-api-secret", "failed-login-limit", "failed-login-window", "tls-cert-file", "tls-key-file",
            "insecure-http", "cluster-tls.certificate", "cluster-tls.key", "cluster-tls.client-auth", "cluster-tls.trust",
            "audit-retention", "local-key-rotation");

    private ServerConfigLoader() {
    }

    /**
     * @param flags   options given on the command line (name without dashes -> value)
     * @param env     the environment (usually {@code System.getenv()})
     * @param config  the YAML file, or null for {@code KEYHOLD_CONFIG} or none
     */
    public static ServerConfig.Builder load(Map<String, String> flags, Map<String, String> env, Path config) {
        Map<String, String> values = new TreeMap<>();
        Path file = config != null ? config : env.containsKey("KEYHOLD_CONFIG") ? Path.of(env.get("KEYHOLD_CONFIG")) : null;
        JsonNode kafkaClusters = null;
        JsonNode notifications = null;
        if (file != null) {
            ObjectNode root = readYaml(file);
            if (root != null) {
                // A list of mappings: read on its own rather than flattened into name=value options.
                kafkaClusters = root.remove(KafkaClustersConfig.KEY);
                notifications = root.remove(NotificationsConfig.KEY);
                flatten("", root, values);
            }
        }
        for (String name : OPTIONS) {
            String v = env.get(envName(name));
            if (v != null && !v.isEmpty()) {
                values.put(name, v);
            }
        }
        env.forEach((k, v) -> {
            if (k.startsWith("KEYHOLD_KMS_")) {
                // KEYHOLD_KMS_AWS_REGION -> kms.aws.region (the first segment is the provider kind)
                String[] parts = k.substring("KEYHOLD_KMS_".length()).toLowerCase(Locale.ROOT).split("_", 2);
                if (parts.length == 2) {
                    values.put("kms." + parts[0] + "." + parts[1].replace('_', '-'), v);
                }
            }
        });
        flags.forEach((k, v) -> {
            if (v != null) {
                values.put(k, v);
            }
        });
        ServerConfig.Builder builder = toBuilder(values);
        Path baseDir = file == null ? null : file.toAbsolutePath().getParent();
        return builder.kafkaClusters(KafkaClustersConfig.parse(kafkaClusters, baseDir, env::get))
                .notifications(NotificationsConfig.parse(notifications, env::get));
    }

    public static String envName(String option) {
        return "KEYHOLD_" + option.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    static ServerConfig.Builder toBuilder(Map<String, String> v) {
        ServerConfig.Builder b = ServerConfig.builder();
        for (String name : v.keySet()) {
            if (!OPTIONS.contains(name) && !name.startsWith("kms.")) {
                throw new IllegalArgumentException("unknown server option '" + name + "'; known: " + String.join(", ", OPTIONS));
            }
        }
        if (v.containsKey("data-dir")) {
            b.dataDir(Path.of(v.get("data-dir")));
        }
        if (v.containsKey("http-port")) {
            b.httpPort(integer(v, "http-port"));
        }
        if (v.containsKey("bind")) {
            b.bind(v.get("bind"));
        }
        b.publicUrl(v.get("public-url"));
        b.databaseUrl(v.get("database-url"));
        b.databaseUser(v.get("database-user"));
        b.databasePassword(v.get("database-password"));
        if (v.containsKey("release-hold")) {
            b.releaseHold(duration(v, "release-hold"));
        }
        if (v.containsKey("audit-retention")) {
            b.auditRetention(duration(v, "audit-retention"));
        }
        if (v.containsKey("local-key-rotation")) {
            String r = v.get("local-key-rotation").strip();
            b.localKeyRotation(r.equalsIgnoreCase("off") ? null : duration(v, "local-key-rotation"));
        }
        if (v.containsKey("max-keys-per-org")) {
            b.maxKeysPerOrg(integer(v, "max-keys-per-org"));
        }
        if (v.containsKey("rate-limit")) {
            b.rateLimit(integer(v, "rate-limit"));
        }
        if (v.containsKey("rate-limit-window")) {
            b.rateLimitWindow(duration(v, "rate-limit-window"));
        }
        if (v.containsKey("validation-interval")) {
            b.validationInterval(duration(v, "validation-interval"));
        }
        if (v.containsKey("health-interval")) {
            b.healthInterval(duration(v, "health-interval"));
        }
        if (v.containsKey("kms-unavailable-grace")) {
            b.kmsUnavailableGrace(duration(v, "kms-unavailable-grace"));
        }
        if (v.containsKey("max-body-bytes")) {
            b.maxBodyBytes(integer(v, "max-body-bytes"));
        }
        if (v.containsKey("aws-roles")) {
            b.awsRoles(Arrays.stream(v.get("aws-roles").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
        }
        if (v.containsKey("failed-login-limit")) {
            b.failedLoginLimit(integer(v, "failed-login-limit"));
        }
        if (v.containsKey("failed-login-window")) {
            b.failedLoginWindow(duration(v, "failed-login-window"));
        }
        b.tls(path(v, "tls-cert-file"), path(v, "tls-key-file"));
        b.clusterTls(clusterTls(v));
        if (v.containsKey("insecure-http")) {
            b.insecureHttp(bool(v, "insecure-http"));
        }
        b.azureApplicationId(v.get("azure-application-id"));
        b.gcpSecurityGroup(v.get("gcp-security-group"));
        b.bootstrapCredentials(v.get("bootstrap-api-key"), v.get("bootstrap-api-secret"));
        Map<String, String> kms = new HashMap<>();
        v.forEach((k, val) -> {
            if (k.startsWith("kms.")) {
                kms.put(k.substring(4), val);
            }
        });
        b.kmsSettings(kms);
        return b;
    }

    /**
     * {@code cluster-tls: {certificate, key, client-auth, trust}} (env {@code KEYHOLD_CLUSTER_TLS_CERTIFICATE}, ...):
     * TLS on every cluster endpoint, or null when none of its options is set.
     */
    private static TlsSettings clusterTls(Map<String, String> v) {
        Path cert = path(v, "cluster-tls.certificate");
        Path key = path(v, "cluster-tls.key");
        Path trust = path(v, "cluster-tls.trust");
        String clientAuth = v.get("cluster-tls.client-auth");
        if (cert == null && key == null && trust == null && clientAuth == null) {
            return null;
        }
        if (cert == null || key == null) {
            throw new IllegalArgumentException("cluster-tls.certificate and cluster-tls.key must be given together (a PEM certificate"
                    + " and its private key) for cluster endpoints to serve TLS");
        }
        try {
            return TlsSettings.server(cert, key, clientAuth == null ? TlsSettings.ClientAuth.NONE : TlsSettings.ClientAuth.parse(clientAuth),
                    trust);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cluster-tls: " + e.getMessage(), e);
        }
    }

    private static Path path(Map<String, String> v, String name) {
        String s = v.get(name);
        return s == null || s.isBlank() ? null : Path.of(s.trim());
    }

    private static boolean bool(Map<String, String> v, String name) {
        String s = v.get(name).trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException(name + " must be true or false, got '" + v.get(name) + "'");
    }

    private static int integer(Map<String, String> v, String name) {
        try {
            return Integer.parseInt(v.get(name).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v.get(name) + "'");
        }
    }

    /** ISO-8601 ({@code PT10S}, {@code P5D}) or a number with a unit: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 5d}. */
    /** Option {@code name} of {@code v} as a duration the way every Keyhold setting writes one: 500ms, 10s, 5m, 2h, 5d or ISO-8601. */
    public static Duration duration(Map<String, String> v, String name) {
        return io.keyhold.proxy.ConfigDurations.parse(v.get(name), name);
    }

    /** The file's top-level mapping, or null when the file is empty. */
    private static ObjectNode readYaml(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the config file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return null;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("the config file " + file + " must be a YAML mapping of option names to values");
        }
        return (ObjectNode) root;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(key, v, out);
            } else if (v.isArray()) {
                StringBuilder sb = new StringBuilder();
                v.forEach(x -> sb.append(sb.length() == 0 ? "" : ",").append(x.asText()));
                out.put(key, sb.toString());
            } else if (!v.isNull()) {
                out.put(key, v.asText());
            }
        }
    }
}
