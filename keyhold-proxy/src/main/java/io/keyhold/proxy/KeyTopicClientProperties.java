package io.keyhold.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * {@code cluster-keys-client} of a YAML file (the standalone proxy's cluster, a registered Kafka of
 * {@code keyhold server}): how the proxy's own Kafka client for Keyhold's key topic
 * {@code __keyhold_keys} authenticates to the brokers. Only {@code security.protocol},
 * {@code sasl.*} and {@code ssl.*}: its acks, idempotence and topic settings are what the key
 * topic's guarantees rest on, so they are Keyhold's. Values expand {@code ${NAME}} (keep a SASL
 * password in the environment, not in the file), and may be credentials: never log them.
 */
public final class KeyTopicClientProperties {
    public static final String FIELD = "cluster-keys-client";
    private static final Pattern ALLOWED = Pattern.compile("security\\.protocol|sasl\\.[a-z0-9.]+|ssl\\.[a-z0-9.]+");

    private KeyTopicClientProperties() {
    }

    /**
     * The properties in {@code node} (absent or null: none).
     *
     * @param where the start of error messages, naming the entry
     * @throws IllegalArgumentException on a property outside the allowed ones, or a value that is not a single value
     */
    public static Map<String, String> parse(JsonNode node, UnaryOperator<String> env, String where) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + "'" + FIELD + "' must be a mapping of Kafka client properties"
                    + " (security.protocol, sasl.*, ssl.*)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!ALLOWED.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException(where + "'" + FIELD + "' may set only security.protocol, sasl.* and ssl.*"
                        + " (how the proxy's key-topic client authenticates), not '" + e.getKey() + "'");
            }
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new IllegalArgumentException(where + "'" + FIELD + "' '" + e.getKey() + "' must be a single value");
            }
            out.put(e.getKey(), YamlValues.expand(e.getValue().asText(), env));
        }
        return out;
    }
}
