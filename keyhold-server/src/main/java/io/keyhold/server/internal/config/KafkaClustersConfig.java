package io.keyhold.server.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.proxy.KeyTopicClientProperties;
import io.keyhold.proxy.ProxyConfig;
import io.keyhold.proxy.UpstreamSettings;
import io.keyhold.server.RegisteredKafkaCluster;
import io.keyhold.server.internal.clusters.ClustersApi;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Reads the {@code kafka-clusters} list of the server's YAML file. Strict on purpose: a typo in a
 * key, a second entry with the same name or two entries for the same brokers would otherwise bind
 * clusters somewhere the operator did not mean.
 */
public final class KafkaClustersConfig {
    public static final String KEY = "kafka-clusters";
    private static final Set<String> FIELDS = Set.of("name", "bootstrap-servers", "cloud", "region", "tls", "max-node-id",
            KeyTopicClientProperties.FIELD);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Upper bound for max-node-id: every node id costs a proxy port. */
    private static final int MAX_NODE_ID_LIMIT = 1000;

    private KafkaClustersConfig() {
    }

    /**
     * @param list    the value of {@code kafka-clusters}
     * @param baseDir the config file's directory, for relative TLS paths
     * @param env     resolves {@code ${NAME}} in values
     */
    public static List<RegisteredKafkaCluster> parse(JsonNode list, Path baseDir, UnaryOperator<String> env) {
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(KEY + " must be a list of Kafka clusters (name, bootstrap-servers, ...)");
        }
        List<RegisteredKafkaCluster> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Map<String, String> ownerOfServer = new HashMap<>();
        int index = 0;
        for (JsonNode entry : list) {
            RegisteredKafkaCluster c = one(entry, index++, baseDir, env);
            if (!names.add(c.name())) {
                throw new IllegalArgumentException(KEY + ": the name '" + c.name() + "' is used twice; names must be unique");
            }
            for (String server : c.upstream().bootstrapServers()) {
                String key = ProxyConfig.HostPort.parse(server).toString().toLowerCase(Locale.ROOT);
                String other = ownerOfServer.putIfAbsent(key, c.name());
                if (other != null) {
                    throw new IllegalArgumentException(KEY + ": '" + c.name() + "' and '" + other + "' both list " + server
                            + "; each Kafka cluster may be registered once, because its data is encrypted under one cluster's key");
                }
            }
            out.add(c);
        }
        return List.copyOf(out);
    }

    private static RegisteredKafkaCluster one(JsonNode entry, int index, Path baseDir, UnaryOperator<String> env) {
        String where = KEY + "[" + index + "]: ";
        if (!entry.isObject()) {
            throw new IllegalArgumentException(where + "expected a mapping with " + new TreeSet<>(FIELDS));
        }
        for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException(where + "unknown key '" + f + "'; known: " + String.join(", ", new TreeSet<>(FIELDS)));
            }
        }
        String name = scalar(entry, "name", where);
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + "'name' is required: 1-64 letters, digits, '.', '_' or '-', starting with a"
                    + " letter or digit" + (name == null ? "" : "; got '" + name + "'"));
        }
        where = KEY + " '" + name + "': ";
        UpstreamSettings upstream = UpstreamSettings.parse(entry.get("bootstrap-servers"), entry.get("tls"), baseDir, env, where,
                "bootstrap-servers");
        String cloud = scalar(entry, "cloud", where);
        if (cloud != null) {
            cloud = cloud.toUpperCase(Locale.ROOT);
            if (!ClustersApi.CLOUDS.contains(cloud)) {
                throw new IllegalArgumentException(where + "'cloud' must be one of " + String.join(", ", ClustersApi.CLOUDS)
                        + ", got '" + entry.get("cloud").asText() + "'");
            }
        }
        String region = scalar(entry, "region", where);
        if (region != null && (region.isBlank() || region.length() > 64)) {
            throw new IllegalArgumentException(where + "'region' must be 1 to 64 characters");
        }
        return new RegisteredKafkaCluster(name, upstream, cloud, region, maxNodeId(entry, where),
                KeyTopicClientProperties.parse(entry.get(KeyTopicClientProperties.FIELD), env, where));
    }

    private static int maxNodeId(JsonNode entry, String where) {
        JsonNode n = entry.get("max-node-id");
        if (n == null || n.isNull()) {
            return RegisteredKafkaCluster.DEFAULT_MAX_NODE_ID;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0 || n.asInt() > MAX_NODE_ID_LIMIT) {
            throw new IllegalArgumentException(where + "'max-node-id' must be a whole number from 0 to " + MAX_NODE_ID_LIMIT
                    + ", got '" + n.asText() + "'");
        }
        return n.asInt();
    }

    private static String scalar(JsonNode entry, String field, String where) {
        JsonNode v = entry.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(where + "'" + field + "' must be a single value");
        }
        return v.asText().trim();
    }
}
