package io.keyhold.kms.pkcs11.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Pkcs11SettingsTest {
    @TempDir
    Path dir;

    @Test
    void thePinComesFromAnOwnerOnlyFileOrAnEnvironmentVariableAndIsNeverShown() throws Exception {
        Path file = pinFile("rw-------", "1234-secret\n");
        Pkcs11Settings fromFile = Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY, "pin-file", file.toString())), n -> null);
        assertThat(fromFile.pin()).containsExactly("1234-secret".toCharArray());
        assertThat(fromFile.toString()).doesNotContain("1234-secret");
        Pkcs11Settings fromEnv = Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY)),
                n -> n.equals(Pkcs11Settings.DEFAULT_PIN_ENV) ? "5678-secret" : null);
        assertThat(fromEnv.pin()).containsExactly("5678-secret".toCharArray());
        Pkcs11Settings named = Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY, "pin-env", "HSM_PIN")),
                n -> n.equals("HSM_PIN") ? "9" : null);
        assertThat(named.pin()).containsExactly('9');
        named.wipe();
        assertThat(named.pin()).containsOnly('\0');
    }

    @Test
    void badSettingsAreRefusedWithAMessageThatSaysWhatToDo() throws Exception {
        assertThatThrownBy(() -> Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY, "pin", "1234")), n -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pin-file").hasMessageNotContaining("1234");
        assertThatThrownBy(() -> Pkcs11Settings.from(KmsConfig.of(Map.of()), n -> "1"))
                .hasMessageContaining("'library'");
        assertThatThrownBy(() -> Pkcs11Settings.from(KmsConfig.of(Map.of("library", dir.resolve("nope.so").toString())), n -> "1"))
                .hasMessageContaining("no PKCS#11 library");
        assertThatThrownBy(() -> Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY)), n -> null))
                .hasMessageContaining(Pkcs11Settings.DEFAULT_PIN_ENV);
        Path shared = pinFile("rw-r--r--", "1234\n");
        assertThatThrownBy(() -> Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY, "pin-file", shared.toString())), n -> null))
                .hasMessageContaining("chmod 600").hasMessageNotContaining("1234\n");
        assertThatThrownBy(() -> Pkcs11Settings.from(KmsConfig.of(Map.of("library", SoftHsm.LIBRARY, "pin-file", shared.toString(),
                "pin-env", "X")), n -> null)).hasMessageContaining("exclude each other");
    }

    private Path pinFile(String perms, String text) throws Exception {
        Path file = dir.resolve("pin-" + perms);
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
        return file;
    }
}
