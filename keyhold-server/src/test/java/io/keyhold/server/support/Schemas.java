package io.keyhold.server.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Validates responses against the component schemas of OpenAPI 3.0 files: the published ones in
 * kept as test resources under {@code third-party/confluent-openapi/}, and Keyhold's own {@code /openapi.yaml}.
 * OpenAPI 3.0 schemas are JSON Schema with a few differences; {@link #convert} turns them into
 * draft 7 ({@code nullable} becomes a null type, component refs become definitions).
 */
public final class Schemas {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7);
    private static final Map<String, JsonNode> DOCS = new ConcurrentHashMap<>();
    private static final Map<String, JsonSchema> CACHE = new ConcurrentHashMap<>();

    private Schemas() {
    }

    /** Where the published OpenAPI files are kept as test resources (see the README there for source and license). */
    private static final String PUBLISHED = "/third-party/confluent-openapi/";

    /** Errors of {@code json} against schema {@code name} of the published {@code file} (e.g. byok-v1.yaml). */
    public static Set<String> published(String file, String name, JsonNode json) {
        JsonNode doc = DOCS.computeIfAbsent(file, Schemas::readPublished);
        return validate(file, doc, name, json);
    }

    /** Errors of {@code json} against schema {@code name} of Keyhold's own OpenAPI text. */
    public static Set<String> keyhold(String openApiYaml, String name, JsonNode json) {
        JsonNode doc = DOCS.computeIfAbsent("keyhold:" + openApiYaml.hashCode(), k -> {
            try {
                return YAML.readTree(openApiYaml);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return validate("keyhold:" + openApiYaml.hashCode(), doc, name, json);
    }

    private static Set<String> validate(String docKey, JsonNode doc, String name, JsonNode json) {
        JsonSchema schema = CACHE.computeIfAbsent(docKey + "#" + name, k -> {
            JsonNode schemas = doc.path("components").path("schemas");
            if (!schemas.has(name)) {
                throw new IllegalArgumentException("no schema " + name + " in " + docKey);
            }
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            root.put("$ref", "#/definitions/" + name);
            root.set("definitions", convert(schemas));
            return FACTORY.getSchema(root);
        });
        return schema.validate(json).stream().map(ValidationMessage::getMessage).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static JsonNode readPublished(String file) {
        try (InputStream in = Schemas.class.getResourceAsStream(PUBLISHED + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no published OpenAPI file " + file + " in test resources " + PUBLISHED);
            }
            return YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode convert(JsonNode node) {
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> out.add(convert(n)));
            return out;
        }
        if (!node.isObject()) {
            return node;
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (k.equals("$ref") && v.isTextual()) {
                out.put("$ref", v.asText().replace("#/components/schemas/", "#/definitions/"));
            } else if (k.equals("discriminator") || k.equals("nullable") || k.equals("example")) {
                // discriminator: oneOf already decides by the kind enums; nullable: handled below
                continue;
            } else {
                out.set(k, convert(v));
            }
        }
        if (node.path("nullable").asBoolean(false)) {
            if (out.has("type")) {
                ArrayNode types = JsonNodeFactory.instance.arrayNode();
                types.add(out.get("type").asText()).add("null");
                out.set("type", types);
            } else {
                ObjectNode wrapped = JsonNodeFactory.instance.objectNode();
                ArrayNode any = wrapped.putArray("anyOf");
                any.add(JsonNodeFactory.instance.objectNode().put("type", "null"));
                any.add(out);
                return wrapped;
            }
        }
        return out;
    }
}
