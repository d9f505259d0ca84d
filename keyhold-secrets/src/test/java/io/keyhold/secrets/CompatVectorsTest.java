package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.secrets.internal.SecretCrypto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The secrets-file test vectors verified against Confluent's CLI (kept here as constants), in files laid out as Confluent's CLI writes them. */
class CompatVectorsTest {
    static final String GCM_PASSPHRASE = "123";
    static final String GCM_SALT = "a3dxASgtO0kVRyAjajx/Hqs8xDgnBXZwoZtzrfceuCc=";
    static final String GCM_MASTER_KEY = "SlWcsfDAvm5amIcVc65pfYGcNkD3wZpM7DDiFByhfh8=";
    static final String GCM_DATA_KEY_ENC = "ENC[AES/GCM/NoPadding,data:AYNIhDBhdWi0a1t6NQFUEKg2Y4GL7agPBjAmNCmY9qoedy7k0fYOqBWfOX0Rsf3Pya1+tY3vTy7HqUDR,iv:vZPrsbCbfk1iqZBT,type:str]";
    static final String GCM_DATA_KEY = "cr1o1NDyK/SySN6ekLqtMdGwunBdgLgYEX/CCsyD9iM=";
    static final String GCM_VALUE = "ENC[AES/GCM/NoPadding,data:VXowRlNy9wP3Weq03Yrye8aPi8/5TZVb,iv:reOcPTUnq73SmAFA,type:str]";

    static final String CBC_PASSPHRASE = "abc123";
    static final String CBC_SALT = "de0YQknpvBlnXk0fdmIT2nG2Qnj+0srV8YokdhkgXjA=";
    static final String CBC_MASTER_KEY = "YC7IvcB0J60YBytDhGLP+GlAQ2j7igE0kXIZ+VphUKA=";
    static final String CBC_DATA_KEY_ENC = "ENC[AES/CBC/PKCS5Padding,data:svYxySZYkI8oDkF36ZYRze3q1CiqJQLwp+9jrfb0w1znLXOKgDlw/PKQMtvrCkCd,iv:qDtNy+skN3DKhtHE/XD6yQ==,type:str]";
    static final String CBC_DATA_KEY = "6z9DYx6tjCEcH5FTdzgvPj2uUSvbRoNWWuHsenogxH4=";
    static final String CBC_VALUE = "ENC[AES/CBC/PKCS5Padding,data:zzjj9G+MeJ6XgsoIUFOVog==,iv:3IhIyRrhQpYzp4vhVdcqqw==,type:str]";

    static final String ENV = "CONFLUENT_SECURITY_MASTER_KEY";

    @TempDir
    Path dir;

    /** A secrets file byte for byte in the layout of Confluent's CLI. */
    static String secretsFile(String salt, String dataKeyEnc, String value) {
        return "_metadata.master_key.0.salt = " + salt + "\n"
                + "_metadata.symmetric_key.0.created_at = 2024-05-02 10:11:12.123456 +0000 UTC m=+0.012345\n"
                + "_metadata.symmetric_key.0.envvar = CONFLUENT_SECURITY_MASTER_KEY\n"
                + "_metadata.symmetric_key.0.length = 32\n"
                + "_metadata.symmetric_key.0.iterations = 10000\n"
                + "_metadata.symmetric_key.0.salt = Ch3HoKsgcLy0yP5Cg3Sf3Q8I0wQGIc6DSpmfDWM+CDI=\n"
                + "_metadata.symmetric_key.0.enc = " + dataKeyEnc + "\n"
                + "config.properties/testPassword = " + value + "\n";
    }

    /** The config file as Confluent's CLI leaves it after `file encrypt`, naming Confluent's provider class. */
    static String configFile(Path secrets) {
        return "# broker settings\n"
                + "testPassword = ${securepass:" + secrets + ":config.properties/testPassword}\n"
                + "config.providers = securepass\n"
                + "config.providers.securepass.class = io.confluent.kafka.security.config.provider.SecurePassConfigProvider\n";
    }

    @Test
    void masterKeysDeriveFromPassphraseAndSaltText() {
        assertThat(SecretCrypto.b64(SecretCrypto.deriveMasterKey(GCM_PASSPHRASE, GCM_SALT, 10000))).isEqualTo(GCM_MASTER_KEY);
        assertThat(SecretCrypto.b64(SecretCrypto.deriveMasterKey(CBC_PASSPHRASE, CBC_SALT, 10000))).isEqualTo(CBC_MASTER_KEY);
    }

    @Test
    void dataKeysUnwrapWithBothCiphers() throws Exception {
        byte[] gcm = SecretCrypto.unwrapDataKey(io.keyhold.secrets.internal.CipherText.parse(GCM_DATA_KEY_ENC),
                Base64.getDecoder().decode(GCM_MASTER_KEY));
        byte[] cbc = SecretCrypto.unwrapDataKey(io.keyhold.secrets.internal.CipherText.parse(CBC_DATA_KEY_ENC),
                Base64.getDecoder().decode(CBC_MASTER_KEY));
        assertThat(SecretCrypto.b64(gcm)).isEqualTo(GCM_DATA_KEY);
        assertThat(SecretCrypto.b64(cbc)).isEqualTo(CBC_DATA_KEY);
    }

    @Test
    void gcmVectorDecryptsThroughTheCli() throws Exception {
        assertThat(decryptThroughCli(GCM_SALT, GCM_DATA_KEY_ENC, GCM_VALUE, GCM_MASTER_KEY)).isEqualTo("password");
    }

    @Test
    void cbcVectorDecryptsThroughTheCli() throws Exception {
        assertThat(decryptThroughCli(CBC_SALT, CBC_DATA_KEY_ENC, CBC_VALUE, CBC_MASTER_KEY)).isEqualTo("password");
    }

    @Test
    void passphraseOfTheVectorFilesIsAcceptedForRotation() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, secretsFile(GCM_SALT, GCM_DATA_KEY_ENC, GCM_VALUE));
        CliRun wrong = CliRun.run(Map.of(ENV, GCM_MASTER_KEY), "file", "rotate", "--data-key",
                "--local-secrets-file", secrets.toString(), "--passphrase", "124");
        assertThat(wrong.exitCode()).isEqualTo(5);
        CliRun right = CliRun.run(Map.of(ENV, GCM_MASTER_KEY), "file", "rotate", "--data-key",
                "--local-secrets-file", secrets.toString(), "--passphrase", GCM_PASSPHRASE);
        assertThat(right.exitCode()).as(right.err()).isZero();
    }

    @Test
    void configProviderReadsTheVectorFiles() throws Exception {
        Path gcm = dir.resolve("gcm-secrets.properties");
        Path cbc = dir.resolve("cbc-secrets.properties");
        Files.writeString(gcm, secretsFile(GCM_SALT, GCM_DATA_KEY_ENC, GCM_VALUE));
        Files.writeString(cbc, secretsFile(CBC_SALT, CBC_DATA_KEY_ENC, CBC_VALUE));
        SecurePassConfigProvider forGcm = new SecurePassConfigProvider(Map.of(ENV, GCM_MASTER_KEY)::get);
        SecurePassConfigProvider forCbc = new SecurePassConfigProvider(Map.of(ENV, CBC_MASTER_KEY)::get);
        assertThat(forGcm.get(gcm.toString(), Set.of("config.properties/testPassword")).data())
                .containsExactly(Map.entry("config.properties/testPassword", "password"));
        assertThat(forCbc.get(cbc.toString()).data())
                .containsExactly(Map.entry("config.properties/testPassword", "password"));
    }

    private String decryptThroughCli(String salt, String dataKeyEnc, String value, String masterKey) throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Path config = dir.resolve("config.properties");
        Path output = dir.resolve("decrypted.properties");
        Files.writeString(secrets, secretsFile(salt, dataKeyEnc, value));
        Files.writeString(config, configFile(secrets));

        CliRun run = CliRun.run(Map.of(ENV, masterKey), "file", "decrypt", "--config-file", config.toString(),
                "--local-secrets-file", secrets.toString(), "--output-file", output.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        Properties decrypted = new Properties();
        decrypted.load(new java.io.StringReader(Files.readString(output, StandardCharsets.UTF_8)));
        assertThat(decrypted.stringPropertyNames()).containsExactly("testPassword");
        return decrypted.getProperty("testPassword");
    }
}
