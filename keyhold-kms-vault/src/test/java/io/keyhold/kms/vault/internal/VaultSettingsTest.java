package io.keyhold.kms.vault.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.KmsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaultSettingsTest {
    @TempDir
    Path dir;

    @Test
    void secretsComeFromOwnerOnlyFilesOrTheEnvironmentAndAreNeverShown() throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "hvs.secret-token\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        VaultSettings s = VaultSettings.from(KmsConfig.of(Map.of("address", "https://vault:8200", "token-file", token.toString())), n -> null);
        assertThat(s.token()).isEqualTo("hvs.secret-token");
        assertThat(s.toString()).doesNotContain("hvs.secret-token");
        VaultSettings env = VaultSettings.from(KmsConfig.of(Map.of()), n -> switch (n) {
            case "VAULT_ADDR" -> "https://vault:8200";
            case "VAULT_TOKEN" -> "hvs.from-env";
            default -> null;
        });
        assertThat(env.token()).isEqualTo("hvs.from-env");
        assertThat(env.address().toString()).isEqualTo("https://vault:8200");
    }

    @Test
    void badSettingsAreRefusedWithAMessageThatSaysWhatToDo() throws Exception {
        assertThatThrownBy(() -> VaultSettings.from(KmsConfig.of(Map.of("address", "https://v", "token", "hvs.x")), n -> null))
                .hasMessageContaining("token-file").hasMessageNotContaining("hvs.x");
        assertThatThrownBy(() -> VaultSettings.from(KmsConfig.of(Map.of("address", "http://v:8200")), n -> "t"))
                .hasMessageContaining("https://");
        assertThatThrownBy(() -> VaultSettings.from(KmsConfig.of(Map.of()), n -> null)).hasMessageContaining("'address'");
        assertThatThrownBy(() -> VaultSettings.from(KmsConfig.of(Map.of("address", "https://v")), n -> null)).hasMessageContaining("VAULT_TOKEN");
        Path readable = dir.resolve("world-readable-token");
        Files.writeString(readable, "hvs.readable");
        Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> VaultSettings.from(KmsConfig.of(Map.of("address", "https://v", "token-file", readable.toString())), n -> null))
                .hasMessageContaining("chmod 600").hasMessageNotContaining("hvs.readable");
        assertThatThrownBy(() -> VaultSettings.from(KmsConfig.of(Map.of("address", "https://v", "auth", "approle")), n -> null))
                .hasMessageContaining("role-id");
    }
}
