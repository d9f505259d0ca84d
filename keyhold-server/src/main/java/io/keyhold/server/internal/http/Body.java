package io.keyhold.server.internal.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.server.internal.util.Json;
import java.util.Iterator;
import java.util.Set;

/**
 * A JSON request body read defensively: every accessor names the JSON pointer of the field it reads,
 * so that a wrong type or a missing field is reported as 422 with {@code source.pointer}. A field
 * that appears twice in one object is refused (400): which one a reader takes is up to the reader, so
 * a request could mean one thing to a proxy or an audit log in front of the server and another here.
 */
public final class Body {
    private static final ObjectReader READER = Json.MAPPER.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

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
            node = READER.readTree(bytes);
        } catch (StreamReadException e) {
            throw duplicateField(e).orElseGet(() -> ApiException.malformedBody("The request body is not valid JSON"));
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

    /** The duplicate-field error when that is what the parser found. */
    private static java.util.Optional<ApiException> duplicateField(StreamReadException e) {
        JsonParser parser = e.getProcessor();
        String message = e.getOriginalMessage();
        if (parser == null || message == null || !message.startsWith("Duplicate")) {
            return java.util.Optional.empty();
        }
        String pointer = parser.getParsingContext().pathAsPointer().toString();
        return java.util.Optional.of(ApiException.malformedBody(pointer, "The property '" + pointer
                + "' appears more than once in the request body; send each property once"));
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
        if (!n.isIntegralNumber()) {
            throw typeError(pointer, n, "integer");
        }
        if (!n.canConvertToInt()) {
            throw outOfRange(pointer, n, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return n.intValue();
    }

    /** As {@link #optionalInt(String)}, also refusing values outside {@code min..max} with a message naming the range. */
    public Integer optionalInt(String pointer, int min, int max) {
        JsonNode n = at(pointer);
        if (n != null && n.isIntegralNumber() && (!n.canConvertToInt() || n.intValue() < min || n.intValue() > max)) {
            throw outOfRange(pointer, n, min, max); // the allowed range, even for values past int's
        }
        return optionalInt(pointer);
    }

    private static ApiException outOfRange(String pointer, JsonNode n, long min, long max) {
        return ApiException.invalid(pointer, "The property '" + pointer + "' is " + abbreviate(n.asText())
                + ", out of range: it must be an integer from " + min + " to " + max);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
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
