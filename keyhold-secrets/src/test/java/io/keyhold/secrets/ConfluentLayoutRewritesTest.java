package io.keyhold.secrets;

import static io.keyhold.secrets.CompatVectorsTest.ENV;
import static io.keyhold.secrets.CompatVectorsTest.GCM_DATA_KEY;
import static io.keyhold.secrets.CompatVectorsTest.GCM_DATA_KEY_ENC;
import static io.keyhold.secrets.CompatVectorsTest.GCM_MASTER_KEY;
import static io.keyhold.secrets.CompatVectorsTest.GCM_PASSPHRASE;
import static io.keyhold.secrets.CompatVectorsTest.GCM_SALT;
import static io.keyhold.secrets.CompatVectorsTest.GCM_VALUE;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.secrets.internal.SecretCrypto;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that rewrites a secrets file written by Confluent's CLI keeps the name of every
 * entry it does not mean to change, byte for byte, escapes included; new names are written as
 * Confluent's CLI writes them. After each command, Kafka's own placeholder resolution
 * ({@link ConfigTransformer}) through {@link SecurePassConfigProvider} still gives every value of
 * both config files.
 */
class ConfluentLayoutRewritesTest {
    private static final String JAAS_KEY = "listener.name.sasl_ssl.plain.sasl.jaas.config";
    private static final String PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String JAAS = PLAIN + " required username=\"admin\" password=\"jaas-secret\";";

    @TempDir
    Path dir;
    Path secrets;
    Path properties;
    Path json;
    final Map<String, String> env = new HashMap<>(Map.of(ENV, GCM_MASTER_KEY));
    /** What each config key resolves to, by file: what the broker or connector must keep seeing. */
    final Map<String, String> expectedProperties = new LinkedHashMap<>();
    final Map<String, String> expectedJson = new LinkedHashMap<>();

    @BeforeEach
    void writeFilesAsConfluentsCliDoes() throws Exception {
        secrets = dir.resolve("secrets.properties");
        properties = dir.resolve("config.properties");
        json = dir.resolve("config.json");
        // Confluent's writer escapes ' ' and ':' in names and leaves the \. of JSON paths as typed.
        // The JSON file has both credentials/"ssl.key.password" and credentials/ssl/key/password:
        // only the escapes tell their two secrets apart.
        Files.writeString(secrets, CompatVectorsTest.secretsFile(GCM_SALT, GCM_DATA_KEY_ENC, GCM_VALUE)
                + "config.properties/" + JAAS_KEY + "/" + PLAIN + "/password = " + encrypt("\"jaas-secret\"") + "\n"
                + "config.properties/odd\\ key\\:x.password = " + encrypt("odd-secret") + "\n"
                + "config.json/credentials.ssl\\.key\\.password = " + encrypt("dotted-secret") + "\n"
                + "config.json/credentials.ssl.key.password = " + encrypt("nested-secret") + "\n"
                + "config.json/db\\.password = " + encrypt("db-secret") + "\n");
        Files.writeString(properties, "# broker settings\n"
                + "\n"
                + "testPassword = " + ref("config.properties/testPassword") + "\n"
                + JAAS_KEY + " = " + PLAIN + " required username=\"admin\" password="
                + ref("config.properties/" + JAAS_KEY + "/" + PLAIN + "/password") + ";\n"
                + "odd\\ key\\:x.password = " + ref("config.properties/odd key:x.password") + "\n"
                + "config.providers = securepass\n"
                + "config.providers.securepass.class = io.confluent.kafka.security.config.provider.SecurePassConfigProvider\n");
        Files.writeString(json, "{\n"
                + "  \"name\": \"sink\",\n"
                + "  \"credentials\": {\n"
                + "    \"ssl.key.password\": \"" + jsonRef("config.json/credentials.ssl\\.key\\.password") + "\",\n"
                + "    \"ssl\": {\n"
                + "      \"key\": {\n"
                + "        \"password\": \"" + jsonRef("config.json/credentials.ssl.key.password") + "\"\n"
                + "      }\n"
                + "    }\n"
                + "  },\n"
                + "  \"db.password\": \"" + jsonRef("config.json/db\\.password") + "\",\n"
                + "  \"config.providers\": \"securepass\",\n"
                + "  \"config.providers.securepass.class\": \"io.confluent.kafka.security.config.provider.SecurePassConfigProvider\"\n"
                + "}\n");
        expectedProperties.put("testPassword", "password");
        expectedProperties.put(JAAS_KEY, JAAS);
        expectedProperties.put("odd key:x.password", "odd-secret");
        expectedJson.put("name", "sink");
        expectedJson.put("credentials/ssl.key.password", "dotted-secret");
        expectedJson.put("credentials/ssl/key/password", "nested-secret");
        expectedJson.put("db.password", "db-secret");
        assertEverythingResolves();
    }

    @Test
    void dataKeyRotationKeepsEveryName() throws Exception {
        List<String> before = names();
        String textBefore = Files.readString(secrets);

        run("file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(), "--passphrase", GCM_PASSPHRASE);

        assertThat(names()).isEqualTo(before);
        assertThat(Files.readString(secrets)).isNotEqualTo(textBefore).doesNotContain(GCM_VALUE);
        assertEverythingResolves();
    }

    @Test
    void masterKeyRotationKeepsEveryName() throws Exception {
        List<String> before = names();

        CliRun rotate = run("file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", GCM_PASSPHRASE, "--passphrase-new", "a new passphrase");

        env.put(ENV, rotate.masterKey());
        assertThat(names()).isEqualTo(before);
        assertEverythingResolves();
    }

    @Test
    void addWritesTheNewNameAsConfluentsCliDoes() throws Exception {
        List<String> expected = new ArrayList<>(names());
        expected.add("config.json/sasl.client\\.password");

        run("file", "add", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString(), "--config", "sasl.client\\.password=added-secret");

        assertThat(names()).isEqualTo(expected);
        expectedJson.put("sasl/client.password", "added-secret");
        assertEverythingResolves();
    }

    @Test
    void updateChangesTheValueOfTheEscapedPathOnly() throws Exception {
        List<String> before = names();

        run("file", "update", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString(), "--config", "credentials.ssl\\.key\\.password=changed-secret");

        assertThat(names()).isEqualTo(before);
        expectedJson.put("credentials/ssl.key.password", "changed-secret");
        assertEverythingResolves();
    }

    @Test
    void removeTakesOutThatEntryOnly() throws Exception {
        List<String> expected = new ArrayList<>(names());
        expected.remove("config.json/credentials.ssl\\.key\\.password");

        run("file", "remove", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--config", "credentials.ssl\\.key\\.password");

        assertThat(names()).isEqualTo(expected);
        expectedJson.remove("credentials/ssl.key.password");
        assertEverythingResolves();
    }

    @Test
    void encryptIntoAFileWithEntriesAddsConfluentNames() throws Exception {
        Files.writeString(properties, Files.readString(properties) + "ssl.truststore.password = ts-secret\n");
        JsonNode tree = new ObjectMapper().readTree(json.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree).putObject("sr").put("basic.auth.password", "sr-secret");
        Files.writeString(json, tree.toPrettyString());
        List<String> expected = new ArrayList<>(names());
        expected.add("config.properties/ssl.truststore.password");
        expected.add("config.json/sr.basic\\.auth\\.password");

        run("file", "encrypt", "--config-file", properties.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString());
        run("file", "encrypt", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString());

        assertThat(names()).isEqualTo(expected);
        assertThat(Files.readString(properties)).doesNotContain("ts-secret");
        assertThat(Files.readString(json)).doesNotContain("sr-secret");
        expectedProperties.put("ssl.truststore.password", "ts-secret");
        expectedJson.put("sr/basic.auth.password", "sr-secret");
        assertEverythingResolves();
    }

    @Test
    void updateOfAnEntryWhoseEscapesWereDroppedKeepsItsName() throws Exception {
        leaveFileAsConfluentsRotationDoes();
        List<String> before = names();

        run("file", "update", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString(), "--config", "db\\.password=changed-secret");

        assertThat(names()).isEqualTo(before);
        expectedJson.put("db.password", "changed-secret");
        assertEverythingResolves();
    }

    @Test
    void updateWritesTheEscapedNameWhereTheUnescapedOneIsAnotherKeys() throws Exception {
        leaveFileAsConfluentsRotationDoes();
        List<String> expected = new ArrayList<>(names());
        expected.add("config.json/credentials.ssl\\.key\\.password");

        run("file", "update", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString(), "--config", "credentials.ssl\\.key\\.password=changed-secret");

        assertThat(names()).isEqualTo(expected);
        expectedJson.put("credentials/ssl.key.password", "changed-secret");
        assertEverythingResolves();
    }

    @Test
    void removeOfAnEntryWhoseEscapesWereDropped() throws Exception {
        leaveFileAsConfluentsRotationDoes();
        List<String> expected = new ArrayList<>(names());
        expected.remove("config.json/db.password");

        run("file", "remove", "--config-file", json.toString(), "--local-secrets-file", secrets.toString(),
                "--config", "db\\.password");

        assertThat(names()).isEqualTo(expected);
        expectedJson.remove("db.password");
        assertEverythingResolves();
        CliRun again = CliRun.run(env, "file", "remove", "--config-file", json.toString(), "--local-secrets-file",
                secrets.toString(), "--config", "credentials.ssl\\.key\\.password");
        // Its unescaped name is the secret of credentials/ssl/key/password: not this key's to remove.
        assertThat(again.exitCode()).isEqualTo(3);
        assertThat(again.err()).contains("config key \"credentials.ssl\\.key\\.password\" is not encrypted");
    }

    /**
     * Confluent's CLI reads {@code \.} as {@code .} and writes names back that way when it rewrites
     * the file: the two credentials entries collapse into one name (one value survives).
     */
    private void leaveFileAsConfluentsRotationDoes() throws Exception {
        String text = Files.readString(secrets);
        text = text.replaceAll("(?m)^config\\.json/credentials\\.ssl\\\\\\.key\\\\\\.password = .*\n", "")
                .replace("config.json/db\\.password", "config.json/db.password");
        Files.writeString(secrets, text);
        assertThat(names()).contains("config.json/db.password", "config.json/credentials.ssl.key.password")
                .doesNotContain("config.json/db\\.password", "config.json/credentials.ssl\\.key\\.password");
        // The reference to the escaped path now finds the only entry left under its unescaped name.
        expectedJson.put("credentials/ssl.key.password", "nested-secret");
        assertEverythingResolves();
    }

    private CliRun run(String... args) {
        CliRun run = CliRun.run(env, args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    /** The name text of every entry of the secrets file, in file order, as written (escapes and all). */
    private List<String> names() throws Exception {
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(secrets)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                assertThat(line).as("Confluent's layout: key = value").contains(" = ");
                names.add(line.substring(0, line.indexOf(" = ")));
            }
        }
        return names;
    }

    /** Resolves both config files as Kafka does, and compares with what they held before encryption. */
    private void assertEverythingResolves() throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(properties)));
        Map<String, String> fromProperties = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> fromProperties.put(k, p.getProperty(k)));
        Map<String, String> fromJson = new LinkedHashMap<>();
        flatten(new ObjectMapper().readTree(json.toFile()), "", fromJson);

        Map<String, String> resolvedProperties = resolve(fromProperties);
        Map<String, String> resolvedJson = resolve(fromJson);

        resolvedProperties.keySet().removeIf(k -> k.startsWith("config.providers"));
        resolvedJson.keySet().removeIf(k -> k.startsWith("config.providers"));
        assertThat(resolvedProperties).isEqualTo(expectedProperties);
        assertThat(resolvedJson).isEqualTo(expectedJson);
    }

    private Map<String, String> resolve(Map<String, String> configs) {
        ConfigProvider provider = new SecurePassConfigProvider(env::get);
        return new HashMap<>(new ConfigTransformer(Map.of("securepass", provider)).transform(configs).data());
    }

    private static void flatten(JsonNode node, String path, Map<String, String> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> flatten(e.getValue(), path.isEmpty() ? e.getKey() : path + "/" + e.getKey(), out));
        } else {
            out.put(path, node.asText());
        }
    }

    private String ref(String name) {
        return "${securepass:" + secrets + ":" + name + "}";
    }

    /** A reference as a JSON string literal: its backslashes escaped. */
    private String jsonRef(String name) {
        return ref(name).replace("\\", "\\\\");
    }

    private static String encrypt(String plaintext) {
        return SecretCrypto.encryptText(plaintext, Base64.getDecoder().decode(GCM_DATA_KEY)).format();
    }
}
