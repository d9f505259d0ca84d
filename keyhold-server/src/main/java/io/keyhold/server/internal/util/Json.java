package io.keyhold.server.internal.util;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** One shared Jackson mapper and small helpers for building response objects. */
public final class Json {
    /** Limits nesting so that a hostile body cannot exhaust the stack. */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(65_536).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private Json() {
    }

    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** Puts {@code value} unless it is null: the published schemas type most fields as non-null strings. */
    public static ObjectNode putIfPresent(ObjectNode node, String name, String value) {
        if (value != null) {
            node.put(name, value);
        }
        return node;
    }

    /** {@code metadata} of a persisted object. */
    public static ObjectNode meta(String self, String resourceName, long createdAt, long updatedAt) {
        ObjectNode m = object();
        m.put("self", self);
        m.put("resource_name", resourceName);
        m.put("created_at", time(Instant.ofEpochMilli(createdAt)));
        m.put("updated_at", time(Instant.ofEpochMilli(updatedAt)));
        return m;
    }

    /** A reference {@code {id, related, resource_name}} to another object. */
    public static ObjectNode ref(String id, String related, String resourceName) {
        return object().put("id", id).put("related", related).put("resource_name", resourceName);
    }

    public static String time(Instant t) {
        return t == null ? null : RFC3339.format(t.truncatedTo(ChronoUnit.MILLIS));
    }

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
