package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --kms-key: the data key is wrapped by a key in Keyhold's local KMS, found through the KMS SPI. */
class KmsWrappedSecretsTest {
    static final String KEY = "kafka-secrets";
    static final Map<String, String> NO_ENV = Map.of();

    @TempDir
    Path dir;
    Path dataDir;
    Path secrets;
    Path config;

    @BeforeEach
    void localKmsKeyAndFiles() throws Exception {
        dataDir = dir.resolve("data");
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, null))) {
            kms.create(KEY);
        }
        secrets = dir.resolve("secrets.properties");
        config = dir.resolve("client.properties");
        CliRun gen = CliRun.run(NO_ENV, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--kms-key", "local:" + KEY, "--kms-config", "data-dir=" + dataDir);
        assertThat(gen.exitCode()).as(gen.err()).isZero();
        assertThat(gen.out()).doesNotContain("Master Key").contains("local:" + KEY);
        Files.writeString(config, "sasl.password=s3cret\nssl.key.password=k3y\n");
        CliRun enc = CliRun.run(NO_ENV, "file", "encrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", secrets.toString());
        assertThat(enc.exitCode()).as(enc.err()).isZero();
    }

    @Test
    void fileRecordsTheKmsKeyAndNeedsNoMasterKey() throws Exception {
        Properties p = SecretFileCommandsTest.load(secrets);
        assertThat(p.getProperty("_metadata.symmetric_key.0.kms_key")).isEqualTo("local:" + KEY);
        assertThat(p.getProperty("_metadata.symmetric_key.0.kms_key_version")).isEqualTo("1");
        assertThat(p.getProperty("_metadata.kms.config.data-dir")).isEqualTo(dataDir.toString());
        assertThat(p.getProperty("_metadata.symmetric_key.0.enc")).startsWith("ENC[KMS,data:");
        assertThat(p.stringPropertyNames()).doesNotContain("_metadata.master_key.0.salt", "_metadata.symmetric_key.0.envvar");
        assertThat(decrypt()).containsOnly(Map.entry("sasl.password", "s3cret"), Map.entry("ssl.key.password", "k3y"));
    }

    @Test
    void configProviderUnwrapsThroughTheKms() throws Exception {
        SecurePassConfigProvider provider = new SecurePassConfigProvider(NO_ENV::get);
        provider.configure(Map.of());
        assertThat(provider.get(secrets.toString(), Set.of("client.properties/sasl.password")).data())
                .containsExactly(Map.entry("client.properties/sasl.password", "s3cret"));
    }

    @Test
    void providerParametersOverrideTheRecordedKmsSettings() throws Exception {
        Path moved = dir.resolve("moved-data");
        Files.move(dataDir, moved);
        SecurePassConfigProvider stale = new SecurePassConfigProvider(NO_ENV::get);
        stale.configure(Map.of());
        assertThatThrownBy(() -> stale.get(secrets.toString(), Set.of("client.properties/sasl.password")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("client.properties/sasl.password");

        SecurePassConfigProvider provider = new SecurePassConfigProvider(NO_ENV::get);
        provider.configure(Map.of("kms.data-dir", moved.toString()));
        assertThat(provider.get(secrets.toString()).data()).containsEntry("client.properties/ssl.key.password", "k3y");
    }

    @Test
    void dataKeyRotationUsesTheCurrentKmsKeyVersion() throws Exception {
        String before = Files.readString(secrets);
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, null))) {
            kms.rotateKey(KEY);
        }
        CliRun rotate = CliRun.run(NO_ENV, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString());
        assertThat(rotate.exitCode()).as(rotate.err()).isZero();
        Properties p = SecretFileCommandsTest.load(secrets);
        Properties old = new Properties();
        old.load(new java.io.StringReader(before));
        assertThat(p.getProperty("_metadata.symmetric_key.0.kms_key_version")).isEqualTo("2");
        for (String key : new String[] {"_metadata.symmetric_key.0.enc", "client.properties/sasl.password", "client.properties/ssl.key.password"}) {
            assertThat(p.getProperty(key)).as(key).isNotEqualTo(old.getProperty(key));
        }
        assertThat(decrypt()).containsOnly(Map.entry("sasl.password", "s3cret"), Map.entry("ssl.key.password", "k3y"));
    }

    @Test
    void disabledKmsKeyStopsDecryptionAndChangesNothing() throws Exception {
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, null))) {
            kms.disable(KEY);
        }
        byte[] secretsBefore = Files.readAllBytes(secrets);
        byte[] configBefore = Files.readAllBytes(config);
        Path out = dir.resolve("out.properties");

        CliRun run = CliRun.run(NO_ENV, "file", "decrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", out.toString());
        CliRun add = CliRun.run(NO_ENV, "file", "add", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", "r", "--config", "x=y");

        assertThat(run.exitCode()).isEqualTo(6);
        assertThat(run.err()).contains("the KMS key \"local:" + KEY + "\" could not unwrap the data key").contains("Check that the KMS key exists, is enabled");
        assertThat(add.exitCode()).isEqualTo(6);
        assertThat(out).doesNotExist();
        assertThat(Files.readAllBytes(secrets)).isEqualTo(secretsBefore);
        assertThat(Files.readAllBytes(config)).isEqualTo(configBefore);
        SecurePassConfigProvider provider = new SecurePassConfigProvider(NO_ENV::get);
        assertThatThrownBy(() -> provider.get(secrets.toString(), Set.of("client.properties/sasl.password")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("\"client.properties/sasl.password\"")
                .hasMessageContaining("local:" + KEY);
    }

    @Test
    void passphraseOnlyOperationsAndBadReferencesAreRefused() throws Exception {
        byte[] before = Files.readAllBytes(secrets);
        CliRun master = CliRun.run(NO_ENV, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "a", "--passphrase-new", "b");
        assertThat(master.exitCode()).isEqualTo(2);
        assertThat(master.err()).contains("wrapped by the KMS key \"local:" + KEY + "\"");
        assertThat(Files.readAllBytes(secrets)).isEqualTo(before);

        Path other = dir.resolve("other.properties");
        CliRun unknown = CliRun.run(NO_ENV, "master-key", "generate", "--local-secrets-file", other.toString(),
                "--kms-key", "nosuch:key");
        assertThat(unknown.exitCode()).isEqualTo(6);
        assertThat(unknown.err()).contains("no KMS provider \"nosuch\" is installed (installed: local)");
        CliRun noKind = CliRun.run(NO_ENV, "master-key", "generate", "--local-secrets-file", other.toString(),
                "--kms-key", "just-a-name");
        assertThat(noKind.err()).contains("invalid KMS key reference \"just-a-name\"");
        CliRun credential = CliRun.run(NO_ENV, "master-key", "generate", "--local-secrets-file", other.toString(),
                "--kms-key", "local:" + KEY, "--kms-config", "data-dir=" + dataDir, "--kms-config", "passphrase=hunter2");
        assertThat(credential.exitCode()).isEqualTo(2);
        assertThat(credential.err()).contains("looks like a credential").doesNotContain("hunter2");
        CliRun missingKey = CliRun.run(NO_ENV, "master-key", "generate", "--local-secrets-file", other.toString(),
                "--kms-key", "local:no-such-key", "--kms-config", "data-dir=" + dataDir);
        assertThat(missingKey.exitCode()).isEqualTo(6);
        assertThat(missingKey.err()).contains("could not generate a data key with the KMS key \"local:no-such-key\"");
        assertThat(other).doesNotExist();
        CliRun again = CliRun.run(NO_ENV, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--kms-key", "local:" + KEY, "--kms-config", "data-dir=" + dataDir);
        assertThat(again.err()).contains("master key is already generated");
        assertThat(Files.readAllBytes(secrets)).isEqualTo(before);
    }

    private Map<Object, Object> decrypt() throws Exception {
        Path out = dir.resolve("decrypted.properties");
        CliRun run = CliRun.run(NO_ENV, "file", "decrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        return SecretFileCommandsTest.load(out);
    }
}
