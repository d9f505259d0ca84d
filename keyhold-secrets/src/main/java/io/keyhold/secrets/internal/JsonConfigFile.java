package io.keyhold.secrets.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A .json config file. Keys are paths: nested names joined with '.', a '.' inside a name escaped
 * as {@code \.} (e.g. {@code credentials.ssl\.keystore\.password}) and a backslash as
 * {@code \\}, as in the gjson paths of Confluent's CLI. Field order is kept.
 */
final class JsonConfigFile implements ConfigFile {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ObjectNode root;

    private JsonConfigFile(ObjectNode root) {
        this.root = root;
    }

    static JsonConfigFile parse(Path path, byte[] bytes) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (IOException e) {
            // Only the position: the parser's own message may quote the text, which may be a password.
            throw new SecretsException("invalid JSON in \"" + path + "\"" + position(e),
                    "Fix the JSON syntax and try again.");
        }
        if (node == null || !node.isObject()) {
            throw new SecretsException("invalid JSON in \"" + path + "\": the top level must be an object",
                    "Fix the JSON and try again.");
        }
        return new JsonConfigFile((ObjectNode) node);
    }

    private static String position(IOException e) {
        if (e instanceof JsonProcessingException j && j.getLocation() != null) {
            return " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
        }
        return "";
    }

    @Override
    public Map<String, String> entries() {
        Map<String, String> result = new LinkedHashMap<>();
        flatten(root, "", result);
        return result;
    }

    private static void flatten(JsonNode node, String prefix, Map<String, String> out) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                String name = field.getKey().replace("\\", "\\\\").replace(".", "\\.");
                flatten(field.getValue(), prefix.isEmpty() ? name : prefix + "." + name, out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(node.get(i), prefix + "." + i, out);
            }
        } else if (node.isValueNode() && !node.isNull()) {
            out.put(prefix, node.asText());
        }
    }

    @Override
    public String get(String key) {
        JsonNode node = root;
        for (String part : split(key)) {
            node = child(node, part);
            if (node == null) {
                return null;
            }
        }
        return node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

    @Override
    public void set(String key, String value) {
        List<String> parts = split(key);
        JsonNode node = root;
        for (int i = 0; i < parts.size() - 1; i++) {
            JsonNode next = child(node, parts.get(i));
            if (next == null) {
                if (!(node instanceof ObjectNode object)) {
                    throw notSettable(key);
                }
                next = object.putObject(parts.get(i));
            }
            node = next;
        }
        String last = parts.get(parts.size() - 1);
        if (node instanceof ObjectNode object) {
            object.put(last, value);
        } else if (node instanceof ArrayNode array && isIndex(last) && Integer.parseInt(last) < array.size()) {
            array.set(Integer.parseInt(last), array.textNode(value));
        } else {
            throw notSettable(key);
        }
    }

    @Override
    public boolean remove(String key) {
        List<String> parts = split(key);
        JsonNode node = root;
        for (int i = 0; i < parts.size() - 1; i++) {
            node = child(node, parts.get(i));
            if (node == null) {
                return false;
            }
        }
        String last = parts.get(parts.size() - 1);
        if (node instanceof ObjectNode object) {
            return object.remove(last) != null;
        }
        if (node instanceof ArrayNode array && isIndex(last) && Integer.parseInt(last) < array.size()) {
            array.remove(Integer.parseInt(last));
            return true;
        }
        return false;
    }

    @Override
    public KeySyntax keySyntax() {
        return KeySyntax.ESCAPED_DOTS_KEPT;
    }

    @Override
    public void registerProvider(String providerClass) {
        JsonNode existing = root.get(PROVIDERS_KEY);
        root.put(PROVIDERS_KEY, ConfigFile.withSecurePass(existing == null ? null : existing.asText()));
        root.put(PROVIDER_CLASS_KEY, providerClass);
    }

    @Override
    public byte[] toBytes() {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(
                Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return (MAPPER.writer(printer).writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree failed to serialize", e);
        }
    }

    private static JsonNode child(JsonNode node, String part) {
        if (node.isObject()) {
            return node.get(part);
        }
        if (node.isArray() && isIndex(part)) {
            return node.get(Integer.parseInt(part));
        }
        return null;
    }

    private static boolean isIndex(String part) {
        return !part.isEmpty() && part.length() < 10 && part.chars().allMatch(Character::isDigit);
    }

    /**
     * Splits a path on unescaped dots and unescapes {@code \.} and {@code \\}. Any other
     * backslash is taken as itself, so a key written without escaping its backslash is found.
     */
    static List<String> split(String key) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '\\' && i + 1 < key.length() && (key.charAt(i + 1) == '.' || key.charAt(i + 1) == '\\')) {
                current.append(key.charAt(i + 1));
                i++;
            } else if (c == '.') {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    private static SecretsException notSettable(String key) {
        return new SecretsException("cannot set \"" + key + "\" in the JSON config file: its parent is not an object",
                "Name a key inside a JSON object.");
    }
}
