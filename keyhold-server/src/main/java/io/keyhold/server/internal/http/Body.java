package io.keyhold.server.internal.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.server.internal.util.Json;
import java.util.Iterator;
import java.util.Set;

/**
 * A JSON request body read defensively: every accessor names the JSON pointer of the field it reads,
 * so that a wrong type or a missing field is reported as 422 with {@code source.pointer}.
 */
public final class Body {
    private final JsonNode root;

    private Body(JsonNode root) {
        this.root = root;
    }

    public static Body parse(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw ApiException.malformedBody("The request body is empty; a JSON object is required");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiException.malformedBody("The request body is not valid JSON");
        } catch (java.io.IOException e) {
            throw ApiException.malformedBody("The request body could not be read");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.malformedBody("The request body must be a JSON object");
        }
        return new Body(node);
    }

    public JsonNode root() {
        return root;
    }

    /** The node at {@code pointer}, or null when absent or JSON null. */
    public JsonNode at(String pointer) {
        JsonNode n = root.at(pointer);
        return n.isMissingNode() || n.isNull() ? null : n;
    }

    public boolean has(String pointer) {
        return at(pointer) != null;
    }

    public ObjectNode requiredObject(String pointer) {
        JsonNode n = at(pointer);
        if (n == null) {
            throw ApiException.invalid(pointer, "The property '" + pointer + "' is required");
        }
        if (!n.isObject()) {
            throw typeError(pointer, n, "object");
        }
        return (ObjectNode) n;
    }

    public ObjectNode optionalObject(String pointer) {
        JsonNode n = at(pointer);
        if (n == null) {
            return null;
        }
        if (!n.isObject()) {
            throw typeError(pointer, n, "object");
        }
        return (ObjectNode) n;
    }

    public String requiredString(String pointer) {
        String s = optionalString(pointer);
        if (s == null) {
            throw ApiException.invalid(pointer, "The property '" + pointer + "' is required");
        }
        return s;
    }

    public String optionalString(String pointer) {
        JsonNode n = at(pointer);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw typeError(pointer, n, "string");
        }
        return n.asText();
    }

    public Integer optionalInt(String pointer) {
        JsonNode n = at(pointer);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw typeError(pointer, n, "integer");
        }
        return n.intValue();
    }

    public Boolean optionalBoolean(String pointer) {
        JsonNode n = at(pointer);
        if (n == null) {
            return null;
        }
        if (!n.isBoolean()) {
            throw typeError(pointer, n, "boolean");
        }
        return n.booleanValue();
    }

    /**
     * Refuses fields the caller may not set at {@code pointer} (read-only or unknown), so that a typo
     * is not silently ignored. {@code allowed} names the writable and the ignorable read-only fields.
     */
    public void onlyFields(String pointer, Set<String> allowed) {
        JsonNode n = pointer.isEmpty() ? root : at(pointer);
        if (n == null || !n.isObject()) {
            return;
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                String p = pointer + "/" + name;
                throw ApiException.invalid(p, "The property '" + p + "' is not allowed here");
            }
        }
    }

    private static ApiException typeError(String pointer, JsonNode n, String expected) {
        return ApiException.invalid(pointer, "The property '" + pointer + "' of type " + typeName(n)
                + " did not match the following type: " + expected);
    }

    private static String typeName(JsonNode n) {
        if (n.isTextual()) {
            return "string";
        }
        if (n.isIntegralNumber()) {
            return "integer";
        }
        if (n.isNumber()) {
            return "number";
        }
        if (n.isBoolean()) {
            return "boolean";
        }
        if (n.isArray()) {
            return "array";
        }
        return "object";
    }
}
