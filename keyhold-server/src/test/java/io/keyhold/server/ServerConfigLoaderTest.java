package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void defaults() {
        ServerConfig c = ServerConfigLoader.load(Map.of(), Map.of(), null).build();
        assertThat(c.dataDir()).isEqualTo(Path.of("data"));
        assertThat(c.httpPort()).isEqualTo(8090);
        assertThat(c.bind()).isEqualTo("127.0.0.1");
        assertThat(c.databaseUrl()).isNull();
        assertThat(c.releaseHold()).isEqualTo(Duration.ofDays(5));
        assertThat(c.maxKeysPerOrg()).isEqualTo(50);
    }

    @Test
    void flagsBeatEnvironmentBeatsFileBeatsDefaults() throws Exception {
        Path yaml = tmp.resolve("keyhold.yaml");
        Files.writeString(yaml, "http-port: 7000\nbind: 0.0.0.0\nrelease-hold: 10m\nmax-keys-per-org: 7\n"
                + "aws-roles: [arn:aws:iam::1:role/a, arn:aws:iam::1:role/b]\nkms:\n  aws:\n    region: eu-west-1\n");
        Map<String, String> env = new HashMap<>();
        env.put("KEYHOLD_HTTP_PORT", "7001");
        env.put("KEYHOLD_DATABASE_URL", "jdbc:postgresql://db/keyhold");
        env.put("KEYHOLD_DATABASE_PASSWORD", "pw");
        env.put("KEYHOLD_KMS_LOCAL_PASSPHRASE_FILE", "/run/secret");
        Map<String, String> flags = new HashMap<>();
        flags.put("http-port", "7002");
        flags.put("bind", null);
        ServerConfig c = ServerConfigLoader.load(flags, env, yaml).build();
        assertThat(c.httpPort()).isEqualTo(7002);
        assertThat(c.bind()).isEqualTo("0.0.0.0");
        assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://db/keyhold");
        assertThat(c.databasePassword()).isEqualTo("pw");
        assertThat(c.releaseHold()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.maxKeysPerOrg()).isEqualTo(7);
        assertThat(c.awsRoles()).containsExactly("arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b");
        assertThat(c.kmsSettings()).containsEntry("aws.region", "eu-west-1").containsEntry("local.passphrase-file", "/run/secret");
        assertThat(c.toString()).doesNotContain("pw");
    }

    @Test
    void configFileFromEnvironment() throws Exception {
        Path yaml = tmp.resolve("k.yaml");
        Files.writeString(yaml, "data-dir: /srv/keyhold\n");
        assertThat(ServerConfigLoader.load(Map.of(), Map.of("KEYHOLD_CONFIG", yaml.toString()), null).build().dataDir())
                .isEqualTo(Path.of("/srv/keyhold"));
    }

    @Test
    void badValuesAreClearErrors() throws Exception {
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("http-port", "eighty"), Map.of(), null))
                .hasMessageContaining("http-port must be an integer");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("release-hold", "soon"), Map.of(), null))
                .hasMessageContaining("release-hold must be a duration");
        Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "htp-port: 1\n");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), Map.of(), yaml)).hasMessageContaining("unknown server option 'htp-port'");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("http-port", "70000"), Map.of(), null).build())
                .hasMessageContaining("0..65535");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), Map.of("KEYHOLD_BOOTSTRAP_API_KEY", "K"), null).build())
                .hasMessageContaining("set together");
    }
}
