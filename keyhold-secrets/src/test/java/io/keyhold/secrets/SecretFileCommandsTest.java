package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The happy paths of every command, through the picocli command line. */
class SecretFileCommandsTest {
    static final String ENV = "CONFLUENT_SECURITY_MASTER_KEY";
    static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"admin\" password=\"admin-secret\" user_alice=\"alice-secret\";";

    @TempDir
    Path dir;
    Path secrets;
    Path config;
    Map<String, String> env = new HashMap<>();

    @BeforeEach
    void generateMasterKey() {
        secrets = dir.resolve("secrets.properties");
        config = dir.resolve("server.properties");
        CliRun run = CliRun.run(env, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--passphrase", "correct horse battery staple");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("Save the master key. It cannot be retrieved later.");
        env.put(ENV, run.masterKey());
    }

    @Test
    void encryptReplacesPasswordsWithPlaceholdersAndKeepsTheRest() throws Exception {
        Files.writeString(config, """
                # Broker config: comments and order must survive.
                listeners=SASL_PLAINTEXT://127.0.0.1:9092
                ssl.keystore.password=ks-secret

                ! another comment style
                ssl.truststore.password: ts-secret
                already.password=${file:/etc/kafka/other.properties:password}
                log.dirs=/tmp/kafka
                """);

        CliRun run = encrypt();

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.readString(config)).isEqualTo("""
                # Broker config: comments and order must survive.
                listeners=SASL_PLAINTEXT://127.0.0.1:9092
                ssl.keystore.password = ${securepass:/etc/kafka/secrets.properties:server.properties/ssl.keystore.password}

                ! another comment style
                ssl.truststore.password = ${securepass:/etc/kafka/secrets.properties:server.properties/ssl.truststore.password}
                already.password=${file:/etc/kafka/other.properties:password}
                log.dirs=/tmp/kafka
                config.providers = securepass
                config.providers.securepass.class = io.keyhold.secrets.SecurePassConfigProvider
                """);
        assertThat(decryptAll()).containsOnly(
                Map.entry("ssl.keystore.password", "ks-secret"),
                Map.entry("ssl.truststore.password", "ts-secret"));
        assertThat(Files.readString(secrets)).doesNotContain("ks-secret", "ts-secret");
        assertThat(Files.getPosixFilePermissions(secrets)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void secretsFileHasConfluentMetadataInOrder() throws Exception {
        Files.writeString(config, "a.password=x\n");
        assertThat(encrypt().exitCode()).isZero();
        assertThat(Files.readAllLines(secrets)).extracting(l -> l.substring(0, l.indexOf(" = "))).containsExactly(
                "_metadata.master_key.0.salt",
                "_metadata.symmetric_key.0.created_at",
                "_metadata.symmetric_key.0.envvar",
                "_metadata.symmetric_key.0.length",
                "_metadata.symmetric_key.0.iterations",
                "_metadata.symmetric_key.0.salt",
                "_metadata.symmetric_key.0.enc",
                "server.properties/a.password");
        Properties p = load(secrets);
        assertThat(p.getProperty("_metadata.symmetric_key.0.envvar")).isEqualTo(ENV);
        assertThat(p.getProperty("_metadata.symmetric_key.0.iterations")).isEqualTo("10000");
        assertThat(p.getProperty("_metadata.symmetric_key.0.enc")).matches("ENC\\[AES/GCM/NoPadding,data:[^,]+,iv:[^,]{16},type:str]");
        assertThat(p.getProperty("server.properties/a.password")).startsWith("ENC[AES/GCM/NoPadding,");
    }

    @Test
    void existingProvidersListGetsSecurePassAppended() throws Exception {
        Files.writeString(config, "config.providers=file\nconfig.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider\nx.password=y\n");
        assertThat(encrypt().exitCode()).isZero();
        Properties p = load(config);
        assertThat(p.getProperty("config.providers")).isEqualTo("file,securepass");
        assertThat(p.getProperty("config.providers.file.class")).isEqualTo("org.apache.kafka.common.config.provider.FileConfigProvider");
        assertThat(encrypt("--config", "x.password").exitCode()).isZero();
        assertThat(load(config).getProperty("config.providers")).isEqualTo("file,securepass");
    }

    @Test
    void onlyTheNamedKeysAreEncrypted() throws Exception {
        Files.writeString(config, "a.password=1\nb.password=2\nplain=3\n");
        assertThat(encrypt("--config", "a.password, plain").exitCode()).isZero();
        Properties p = load(config);
        assertThat(p.getProperty("a.password")).startsWith("${securepass:");
        assertThat(p.getProperty("b.password")).isEqualTo("2");
        assertThat(p.getProperty("plain")).startsWith("${securepass:");
        assertThat(decryptAll()).containsOnly(Map.entry("a.password", "1"), Map.entry("plain", "3"));
    }

    @Test
    void jaasPasswordsAreEncryptedOptionByOption() throws Exception {
        String key = "listener.name.sasl_plaintext.plain.sasl.jaas.config";
        Files.writeString(config, key + "=" + PLAIN_JAAS + "\n");

        CliRun run = encrypt();

        assertThat(run.exitCode()).as(run.err()).isZero();
        String jaas = load(config).getProperty(key);
        String secretKey = "server.properties/" + key + "/org.apache.kafka.common.security.plain.PlainLoginModule/password";
        assertThat(jaas).isEqualTo("org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"admin\" password=${securepass:/etc/kafka/secrets.properties:" + secretKey + "} "
                + "user_alice=\"alice-secret\";");
        assertThat(load(secrets).getProperty(secretKey)).startsWith("ENC[AES/GCM/NoPadding,");
        // The quotes are part of the encrypted value, so substituting it restores valid JAAS.
        assertThat(decryptAll()).containsOnly(
                Map.entry(key + "/org.apache.kafka.common.security.plain.PlainLoginModule/password", "\"admin-secret\""));

        String aliceKey = key + "/org.apache.kafka.common.security.plain.PlainLoginModule/user_alice";
        assertThat(encrypt("--config", aliceKey).exitCode()).isZero();
        assertThat(decryptAll()).containsEntry(aliceKey, "\"alice-secret\"");
        assertThat(Files.readString(config)).doesNotContain("alice-secret", "admin-secret");
    }

    @Test
    void jsonConfigFilesUseEscapedDottedPaths() throws Exception {
        Path json = dir.resolve("connector.json");
        Files.writeString(json, """
                {
                  "name": "sink",
                  "credentials": {"ssl.keystore.password": "ks", "user": "u"},
                  "db.password": "db"
                }
                """);
        CliRun run = CliRun.run(env, "file", "encrypt", "--config-file", json.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", "/r/secrets.properties",
                "--config", "credentials.ssl\\.keystore\\.password,db\\.password");
        assertThat(run.exitCode()).as(run.err()).isZero();

        com.fasterxml.jackson.databind.JsonNode tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertThat(tree.get("credentials").get("ssl.keystore.password").asText())
                .isEqualTo("${securepass:/r/secrets.properties:connector.json/credentials.ssl\\.keystore\\.password}");
        assertThat(tree.get("db.password").asText()).isEqualTo("${securepass:/r/secrets.properties:connector.json/db\\.password}");
        assertThat(tree.get("credentials").get("user").asText()).isEqualTo("u");
        assertThat(tree.get("config.providers").asText()).isEqualTo("securepass");
        assertThat(tree.get("config.providers.securepass.class").asText()).isEqualTo("io.keyhold.secrets.SecurePassConfigProvider");
        // Named as Confluent's CLI names it: the \. of the path as typed.
        assertThat(Files.readString(secrets)).contains("\nconnector.json/credentials.ssl\\.keystore\\.password = ENC[")
                .contains("\nconnector.json/db\\.password = ENC[");

        Path out = dir.resolve("out.properties");
        CliRun dec = CliRun.run(env, "file", "decrypt", "--config-file", json.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", out.toString());
        assertThat(dec.exitCode()).as(dec.err()).isZero();
        assertThat(load(out)).containsOnly(Map.entry("credentials.ssl\\.keystore\\.password", "ks"),
                Map.entry("db\\.password", "db"));

        CliRun remove = CliRun.run(env, "file", "remove", "--config-file", json.toString(),
                "--local-secrets-file", secrets.toString(), "--config", "db\\.password");
        assertThat(remove.exitCode()).as(remove.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode after = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertThat(after.has("db.password")).isFalse();
        assertThat(after.get("name").asText()).isEqualTo("sink");
        assertThat(Files.readString(secrets)).doesNotContain("connector.json/db")
                .contains("\nconnector.json/credentials.ssl\\.keystore\\.password = ENC[");
    }

    @Test
    void jsonKeysWithBackslashesAreEncryptedInPlace() throws Exception {
        Path json = dir.resolve("connector.json");
        // A key that ends in a backslash: unescaped, its path would read share\.password, one key.
        Files.writeString(json, "{\"share\\\\\": {\"password\": \"s1\"}, \"c:\\\\dir\": {\"x.password\": \"s2\"}}\n");

        CliRun run = CliRun.run(env, "file", "encrypt", "--config-file", json.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", secrets.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.readString(json)).doesNotContain("s1", "s2");
        com.fasterxml.jackson.databind.JsonNode tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertThat(tree.get("share\\").get("password").asText())
                .isEqualTo("${securepass:" + secrets + ":connector.json/share\\\\.password}");
        Map<String, String> resolved = new org.apache.kafka.common.config.ConfigTransformer(
                Map.of("securepass", new SecurePassConfigProvider(env::get))).transform(Map.of(
                        "a", tree.get("share\\").get("password").asText(),
                        "b", tree.get("c:\\dir").get("x.password").asText())).data();
        assertThat(resolved).containsOnly(Map.entry("a", "s1"), Map.entry("b", "s2"));
        Path out = dir.resolve("out.properties");
        CliRun dec = CliRun.run(env, "file", "decrypt", "--config-file", json.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", out.toString());
        assertThat(dec.exitCode()).as(dec.err()).isZero();
        assertThat(load(out)).containsOnly(Map.entry("share\\\\.password", "s1"), Map.entry("c:\\\\dir.x\\.password", "s2"));
    }

    @Test
    void addUpdateAndRemove() throws Exception {
        Files.writeString(config, "# c\nkeep=1\n");
        CliRun add = CliRun.run(env, "file", "add", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", "/r/s.properties",
                "--config", "new.password=first\\nother.secret=second");
        assertThat(add.exitCode()).as(add.err()).isZero();
        assertThat(decryptAll()).containsOnly(Map.entry("new.password", "first"), Map.entry("other.secret", "second"));

        CliRun update = CliRun.run(env, "file", "update", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", "/r/s.properties",
                "--config", "new.password=changed");
        assertThat(update.exitCode()).as(update.err()).isZero();
        assertThat(decryptAll()).containsOnly(Map.entry("new.password", "changed"), Map.entry("other.secret", "second"));

        CliRun remove = CliRun.run(env, "file", "remove", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--config", "other.secret");
        assertThat(remove.exitCode()).as(remove.err()).isZero();
        assertThat(load(config).stringPropertyNames()).doesNotContain("other.secret").contains("keep", "new.password");
        assertThat(load(secrets).stringPropertyNames()).doesNotContain("server.properties/other.secret")
                .contains("server.properties/new.password");
        assertThat(Files.readString(config)).startsWith("# c\nkeep=1\n");
    }

    @Test
    void passphraseFromFileAndFromStandardInput() throws Exception {
        Path fromFile = dir.resolve("f.properties");
        Path passFile = dir.resolve("pass.txt");
        Files.writeString(passFile, "file phrase\n");
        CliRun a = CliRun.run(Map.of(), "master-key", "generate", "--local-secrets-file", fromFile.toString(),
                "--passphrase", "@" + passFile);
        CliRun b = CliRun.runWithStdin(Map.of(), "file phrase\n", "master-key", "generate",
                "--local-secrets-file", dir.resolve("g.properties").toString(), "--passphrase", "-");
        assertThat(a.exitCode()).as(a.err()).isZero();
        assertThat(b.exitCode()).as(b.err()).isZero();
        // Same passphrase: each file's own salt makes different master keys, but each one verifies.
        Map<String, String> envA = Map.of(ENV, a.masterKey());
        Files.writeString(config, "p.password=v\n");
        assertThat(CliRun.run(envA, "file", "encrypt", "--config-file", config.toString(), "--local-secrets-file",
                fromFile.toString(), "--remote-secrets-file", "r").exitCode()).isZero();
        CliRun rotate = CliRun.runWithStdin(envA, "file phrase\n", "file", "rotate", "--master-key",
                "--local-secrets-file", fromFile.toString(), "--passphrase", "-", "--passphrase-new", "another phrase");
        assertThat(rotate.exitCode()).as(rotate.err()).isZero();
    }

    @Test
    void untouchedFilesRoundTripByteForByte() throws Exception {
        String original = "a=1\r\nweird\\ key\\:x = v\\\\al\\u00e9\r\n  # indented comment\r\nmulti = one \\\r\n   two\r\nx.password=p";
        Files.writeString(config, original);
        assertThat(encrypt("--config", "a").exitCode()).isZero();
        assertThat(Files.readString(config)).startsWith("a = ${securepass:")
                .contains("\r\nweird\\ key\\:x = v\\\\al\\u00e9\r\n  # indented comment\r\nmulti = one \\\r\n   two\r\nx.password=p\r\n"
                        + "config.providers = securepass\r\n");
        Properties p = load(config);
        assertThat(p.getProperty("weird key:x")).isEqualTo("v\\al\u00e9");
        assertThat(p.getProperty("multi")).isEqualTo("one two");
    }

    @Test
    void encryptLeavesNoCleartextInAShadowedDuplicateLine() throws Exception {
        Files.writeString(config, "ssl.key.password=stale-secret\n# the one Kafka uses:\nssl.key.password=real-secret\nkeep=1\n");

        assertThat(encrypt().exitCode()).isZero();

        assertThat(Files.readString(config)).doesNotContain("stale-secret", "real-secret")
                .startsWith("# the one Kafka uses:\nssl.key.password = ${securepass:");
        assertThat(decryptAll()).containsOnly(Map.entry("ssl.key.password", "real-secret"));
    }

    @Test
    void linesAddedAfterATrailingContinuationStayTheirOwn() throws Exception {
        // The last line ends in a continuation: Kafka would read whatever comes next as part of it.
        Files.writeString(config, "a.password=secret\nlog.dirs=/tmp/kafka \\\n");
        Properties before = load(config);

        assertThat(encrypt().exitCode()).isZero();

        Properties after = load(config);
        assertThat(after.getProperty("log.dirs")).isEqualTo(before.getProperty("log.dirs")).isEqualTo("/tmp/kafka ");
        assertThat(after.getProperty("config.providers")).isEqualTo("securepass");
        assertThat(after.getProperty("config.providers.securepass.class")).isEqualTo("io.keyhold.secrets.SecurePassConfigProvider");
        assertThat(decryptAll()).containsOnly(Map.entry("a.password", "secret"));
    }

    private CliRun encrypt(String... extra) {
        String[] base = {"file", "encrypt", "--config-file", config.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", "/etc/kafka/secrets.properties"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.run(env, args);
    }

    private Map<Object, Object> decryptAll() throws Exception {
        Path out = dir.resolve("decrypted.properties");
        CliRun run = CliRun.run(env, "file", "decrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.getPosixFilePermissions(out)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        return load(out);
    }

    static Properties load(Path file) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file)));
        return p;
    }
}
