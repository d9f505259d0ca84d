package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error of the compat file, produced by the matching bad input; after each one the config
 * file and the secrets file are byte-identical to what they were, and no output file appears.
 */
class ErrorCasesTest {
    static final String ENV = "CONFLUENT_SECURITY_MASTER_KEY";
    static final String PASSPHRASE = "first passphrase";

    @TempDir
    Path dir;
    Path secrets;
    Path config;
    Path output;
    Map<String, String> env = new HashMap<>();
    byte[] secretsBefore;
    byte[] configBefore;

    @BeforeEach
    void encryptedFiles() throws Exception {
        secrets = dir.resolve("secrets.properties");
        config = dir.resolve("client.properties");
        output = dir.resolve("out.properties");
        CliRun gen = CliRun.run(env, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--passphrase", PASSPHRASE);
        env.put(ENV, gen.masterKey());
        Files.writeString(config, "# client\nsasl.password=one\nssl.key.password=two\nbootstrap.servers=127.0.0.1:9092\n");
        CliRun enc = CliRun.run(env, "file", "encrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", secrets.toString());
        assertThat(enc.exitCode()).as(enc.err()).isZero();
    }

    /** Takes the "before" snapshot after a test has planted its bad input. */
    void snapshot() throws Exception {
        secretsBefore = Files.readAllBytes(secrets);
        configBefore = Files.readAllBytes(config);
    }

    @AfterEach
    void filesAreUnchanged() throws Exception {
        assertThat(Files.readAllBytes(secrets)).as("secrets file bytes").isEqualTo(secretsBefore);
        assertThat(Files.readAllBytes(config)).as("config file bytes").isEqualTo(configBefore);
        assertThat(output).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temp files left")
                    .noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void generateRefusesAFileThatHasADataKey() throws Exception {
        snapshot();
        CliRun run = CliRun.run(env, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--passphrase", "another");
        assertFailure(run, 4, "master key is already generated");
        assertThat(run.err()).contains("secret file rotate");
    }

    @Test
    void wrongMasterKeyCannotUnwrapTheDataKey() throws Exception {
        snapshot();
        env.put(ENV, "SlWcsfDAvm5amIcVc65pfYGcNkD3wZpM7DDiFByhfh8=");
        assertFailure(decrypt(), 5, "failed to unwrap the data key: invalid master key or corrupted data key");
        assertFailure(CliRun.run(env, "file", "add", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", "r", "--config", "x=y"),
                5, "failed to unwrap the data key: invalid master key or corrupted data key");
    }

    @Test
    void corruptedValueNamesTheKey() throws Exception {
        replaceInSecrets("client.properties/ssl.key.password = ENC[AES/GCM/NoPadding,data:",
                "client.properties/ssl.key.password = ENC[AES/GCM/NoPadding,data:AAAA");
        snapshot();
        assertFailure(decrypt(), 1, "failed to decrypt config \"ssl.key.password\": corrupted data");
        assertFailure(CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", PASSPHRASE), 1, "failed to decrypt config \"client.properties/ssl.key.password\": corrupted data");
    }

    @Test
    void missingSecretNamesTheKey() throws Exception {
        String text = Files.readString(secrets);
        Files.writeString(secrets, text.replaceAll("(?m)^client\\.properties/sasl\\.password = .*\\n", ""));
        snapshot();
        assertFailure(decrypt(), 3, "missing config key \"sasl.password\" in secret config file");
    }

    @Test
    void unknownAlgorithmIsNamed() throws Exception {
        replaceInSecrets("client.properties/sasl.password = ENC[AES/GCM/NoPadding,", "client.properties/sasl.password = ENC[DES/ECB/Nope,");
        snapshot();
        CliRun run = decrypt();
        assertFailure(run, 1, "invalid algorithm \"DES/ECB/Nope\"");
        assertThat(run.err()).contains("\"sasl.password\"");
    }

    @Test
    void rotationChecksThePassphraseAgainstTheMasterKey() throws Exception {
        snapshot();
        assertFailure(CliRun.run(env, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "not it", "--passphrase-new", "next"), 5, "authentication failure: incorrect master key passphrase");
        assertFailure(CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "not it"), 5, "authentication failure: incorrect master key passphrase");
    }

    @Test
    void newPassphraseMustDiffer() throws Exception {
        snapshot();
        assertFailure(CliRun.run(env, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", PASSPHRASE, "--passphrase-new", PASSPHRASE + "\n"), 2, "the new master key passphrase is the same");
    }

    @Test
    void emptyOrBlankPassphrasesAreRefused() throws Exception {
        snapshot();
        Path fresh = dir.resolve("fresh.properties");
        for (String blank : new String[] {"", "   ", "\n", " \t\n"}) {
            assertFailure(CliRun.run(env, "master-key", "generate", "--local-secrets-file", fresh.toString(),
                    "--passphrase", blank), 2, "master key passphrase cannot be empty");
        }
        assertFailure(CliRun.run(env, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", PASSPHRASE, "--passphrase-new", " "), 2, "master key passphrase cannot be empty");
        assertThat(fresh).doesNotExist();
    }

    @Test
    void passphraseSourcesThatCannotBeReadAreReported() throws Exception {
        snapshot();
        assertFailure(CliRun.run(env, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "-", "--passphrase-new", "-"), 2, "only one of --passphrase and --passphrase-new can read standard input");
        assertFailure(CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "@" + dir.resolve("no-such-passphrase-file")), 1, "could not read the passphrase file");
        assertFailure(CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString()),
                2, "missing --passphrase");
    }

    @Test
    void masterKeyMustBeInTheEnvironment() throws Exception {
        snapshot();
        env.remove(ENV);
        CliRun run = decrypt();
        assertFailure(run, 5, "master key is not exported in the CONFLUENT_SECURITY_MASTER_KEY environment variable");
        env.put(ENV, "not base64!");
        assertFailure(decrypt(), 5, "not valid base64");
    }

    @Test
    void updateRequiresExistingKeysAndAddNeedsValues() throws Exception {
        snapshot();
        assertFailure(CliRun.run(env, "file", "update", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", "r", "--config", "sasl.password=new\\nnot.there=1"),
                3, "config key \"not.there\" is not in the config file");
        assertFailure(CliRun.run(env, "file", "add", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", "r", "--config", "  "), 2, "add failed: empty list of new configs");
    }

    @Test
    void removeOfAKeyThatIsNotEncryptedFailsWithoutTouchingEitherFile() throws Exception {
        snapshot();
        // The first key is fine and the second is not: nothing may be removed at all.
        assertFailure(CliRun.run(env, "file", "remove", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--config", "sasl.password,bootstrap.servers"),
                3, "config key \"bootstrap.servers\" is not encrypted in the secrets file");
    }

    @Test
    void encryptOfAnUnknownKeyOrFileFails() throws Exception {
        snapshot();
        assertFailure(CliRun.run(env, "file", "encrypt", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", "r", "--config", "no.such.key"),
                3, "config key \"no.such.key\" is not in the config file");
        assertFailure(CliRun.run(env, "file", "encrypt", "--config-file", dir.resolve("nope.properties").toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", "r"), 3, "invalid config file path");
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, "a: b\n");
        assertFailure(CliRun.run(env, "file", "encrypt", "--config-file", yaml.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", "r"), 2, "unsupported file format");
        Files.delete(yaml);
    }

    @Test
    void invalidJsonIsReported() throws Exception {
        snapshot();
        Path json = dir.resolve("c.json");
        Files.writeString(json, "{\"a.password\": ");
        assertFailure(CliRun.run(env, "file", "encrypt", "--config-file", json.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", "r", "--config", "a\\.password"), 1, "invalid JSON");
        assertThat(Files.readString(json)).isEqualTo("{\"a.password\": ");
        Files.delete(json);
    }

    @Test
    void usageErrorsExitNonZero() throws Exception {
        snapshot();
        assertFailure(CliRun.run(env, "file", "rotate", "--local-secrets-file", secrets.toString(), "--passphrase", PASSPHRASE),
                2, "give exactly one of --master-key and --data-key");
        assertFailure(CliRun.run(env, "file", "rotate", "--master-key", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", PASSPHRASE), 2, "give exactly one of --master-key and --data-key");
        assertThat(CliRun.run(env, "file", "encrypt", "--config-file", config.toString()).exitCode()).isEqualTo(2);
    }

    private CliRun decrypt() {
        return CliRun.run(env, "file", "decrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", output.toString());
    }

    private void replaceInSecrets(String from, String to) throws Exception {
        String text = Files.readString(secrets);
        assertThat(text).contains(from);
        Files.writeString(secrets, text.replace(from, to));
    }

    /** A failure: the documented exit code, and one line saying what was wrong and what to do. */
    private static void assertFailure(CliRun run, int exitCode, String message) {
        assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(exitCode);
        assertThat(run.err()).startsWith("Error: ").contains(message);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err().substring(run.err().indexOf(message) + message.length()).trim())
                .as("a suggestion follows").hasSizeGreaterThan(10);
        assertThat(run.out()).doesNotContain("Master Key");
    }
}
