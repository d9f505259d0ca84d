package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.secrets.internal.SecretCrypto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotations keep every value decrypting, and to the same plaintext. */
class RotationTest {
    static final String ENV = "CONFLUENT_SECURITY_MASTER_KEY";

    @TempDir
    Path dir;

    @Test
    void masterKeyRotationRewrapsOnlyTheDataKey() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Path config = dir.resolve("server.properties");
        Map<String, String> env = new HashMap<>();
        env.put(ENV, CliRun.run(env, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--passphrase", "old phrase").masterKey());
        Files.writeString(config, "a.password=alpha\nb.password=b\u00e9ta \\\\ with spaces\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"gamma\";\n");
        assertThat(CliRun.run(env, "file", "encrypt", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", secrets.toString()).exitCode()).isZero();
        Map<Object, Object> before = decrypt(env, config, secrets);
        Properties secretsBefore = SecretFileCommandsTest.load(secrets);

        CliRun rotate = CliRun.run(env, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "old phrase", "--passphrase-new", "new phrase");

        assertThat(rotate.exitCode()).as(rotate.err()).isZero();
        String newMasterKey = rotate.masterKey();
        assertThat(newMasterKey).isNotEqualTo(env.get(ENV));
        Properties secretsAfter = SecretFileCommandsTest.load(secrets);
        assertThat(secretsAfter.getProperty("server.properties/a.password")).isEqualTo(secretsBefore.getProperty("server.properties/a.password"));
        assertThat(secretsAfter.getProperty("_metadata.master_key.0.salt")).isNotEqualTo(secretsBefore.getProperty("_metadata.master_key.0.salt"));
        CliRun oldKey = CliRun.run(env, "file", "decrypt", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--output-file", dir.resolve("x").toString());
        assertThat(oldKey.exitCode()).isEqualTo(5);
        env.put(ENV, newMasterKey);
        assertThat(decrypt(env, config, secrets)).isEqualTo(before).containsEntry("a.password", "alpha")
                .containsEntry("b.password", "b\u00e9ta \\ with spaces");
        // The new passphrase is now the one that authenticates.
        assertThat(CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "new phrase").exitCode()).isZero();
        assertThat(decrypt(env, config, secrets)).isEqualTo(before);
    }

    @Test
    void dataKeyRotationReencryptsEveryValue() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Path config = dir.resolve("server.properties");
        Map<String, String> env = new HashMap<>();
        env.put(ENV, CliRun.run(env, "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--passphrase", "phrase").masterKey());
        Files.writeString(config, "one.password=1\ntwo.password=2\nthree.password=3\n");
        assertThat(CliRun.run(env, "file", "encrypt", "--config-file", config.toString(), "--local-secrets-file",
                secrets.toString(), "--remote-secrets-file", secrets.toString()).exitCode()).isZero();
        Properties before = SecretFileCommandsTest.load(secrets);

        assertThat(CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "phrase").exitCode()).isZero();

        Properties after = SecretFileCommandsTest.load(secrets);
        for (String key : new String[] {"_metadata.symmetric_key.0.enc", "server.properties/one.password",
                "server.properties/two.password", "server.properties/three.password"}) {
            assertThat(after.getProperty(key)).as(key).isNotEqualTo(before.getProperty(key)).startsWith("ENC[AES/GCM/NoPadding,");
        }
        assertThat(decrypt(env, config, secrets)).containsOnly(Map.entry("one.password", "1"),
                Map.entry("two.password", "2"), Map.entry("three.password", "3"));
    }

    @Test
    void legacyCbcFileWithThousandIterationsBecomesGcm() throws Exception {
        // An old-style file: 1000 iterations, data key and values under AES-CBC.
        String salt = SecretCrypto.newSaltText();
        byte[] masterKey = SecretCrypto.deriveMasterKey("legacy", salt, 1000);
        byte[] dataKey = SecretCrypto.newDataKey();
        Path secrets = dir.resolve("secrets.properties");
        Path config = dir.resolve("config.properties");
        Files.writeString(secrets, "_metadata.master_key.0.salt = " + salt + "\n"
                + "_metadata.symmetric_key.0.created_at = 2019-01-01 00:00:00 +0000 UTC\n"
                + "_metadata.symmetric_key.0.envvar = " + ENV + "\n"
                + "_metadata.symmetric_key.0.length = 32\n"
                + "_metadata.symmetric_key.0.iterations = 1000\n"
                + "_metadata.symmetric_key.0.salt = " + SecretCrypto.newSaltText() + "\n"
                + "_metadata.symmetric_key.0.enc = " + cbc(Base64.getEncoder().encode(dataKey), masterKey) + "\n"
                + "config.properties/x.password = " + cbc("ex".getBytes(StandardCharsets.UTF_8), dataKey) + "\n"
                + "config.properties/y.password = " + cbc("why".getBytes(StandardCharsets.UTF_8), dataKey) + "\n");
        Files.writeString(config, "x.password = ${securepass:" + secrets + ":config.properties/x.password}\n"
                + "y.password = ${securepass:" + secrets + ":config.properties/y.password}\n");
        Map<String, String> env = new HashMap<>(Map.of(ENV, SecretCrypto.b64(masterKey)));
        assertThat(decrypt(env, config, secrets)).containsOnly(Map.entry("x.password", "ex"), Map.entry("y.password", "why"));

        CliRun rotate = CliRun.run(env, "file", "rotate", "--data-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "legacy");

        assertThat(rotate.exitCode()).as(rotate.err()).isZero();
        String text = Files.readString(secrets);
        assertThat(text).doesNotContain("AES/CBC/PKCS5Padding");
        assertThat(text.split("ENC\\[AES/GCM/NoPadding,", -1)).hasSize(4);
        assertThat(decrypt(env, config, secrets)).containsOnly(Map.entry("x.password", "ex"), Map.entry("y.password", "why"));

        CliRun master = CliRun.run(env, "file", "rotate", "--master-key", "--local-secrets-file", secrets.toString(),
                "--passphrase", "legacy", "--passphrase-new", "modern");
        assertThat(master.exitCode()).as(master.err()).isZero();
        env.put(ENV, master.masterKey());
        assertThat(decrypt(env, config, secrets)).containsOnly(Map.entry("x.password", "ex"), Map.entry("y.password", "why"));
    }

    private static String cbc(byte[] plaintext, byte[] key) throws Exception {
        byte[] iv = new byte[16];
        new SecureRandom().nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        return "ENC[AES/CBC/PKCS5Padding,data:" + Base64.getEncoder().encodeToString(cipher.doFinal(plaintext))
                + ",iv:" + Base64.getEncoder().encodeToString(iv) + ",type:str]";
    }

    private Map<Object, Object> decrypt(Map<String, String> env, Path config, Path secrets) throws Exception {
        Path out = dir.resolve("decrypted.properties");
        CliRun run = CliRun.run(env, "file", "decrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        return SecretFileCommandsTest.load(out);
    }
}
