package io.keyhold.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTransactionTest {
    @TempDir
    Path dir;

    @Test
    void ownerOnlyFilesAreRw_______WhateverTheyWereBefore() throws Exception {
        Path file = dir.resolve("secrets.properties");
        Files.writeString(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        AtomicFiles.writeAll(java.util.List.of(new AtomicFiles.Write(file, bytes("new"), true)));
        assertThat(Files.readString(file)).isEqualTo("new");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void otherFilesKeepTheirPermissions() throws Exception {
        Path file = dir.resolve("server.properties");
        Files.writeString(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.writeAll(java.util.List.of(new AtomicFiles.Write(file, bytes("new"), false)));
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
    }

    @Test
    void aFailedSecondReplacementPutsTheFirstFileBack() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Path config = dir.resolve("server.properties");
        Files.writeString(secrets, "original secrets\n");
        Files.writeString(config, "original config\n");
        int[] calls = {0};
        AtomicFiles.Renamer failSecond = (temp, target) -> {
            if (++calls[0] == 2) {
                throw new java.io.IOException("simulated rename failure");
            }
            Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        };

        assertThatThrownBy(() -> AtomicFiles.writeAll(java.util.List.of(
                new AtomicFiles.Write(secrets, bytes("new secrets\n"), true),
                new AtomicFiles.Write(config, bytes("new config\n"), false)), failSecond))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("could not replace")
                .hasMessageContaining("server.properties");

        assertThat(calls[0]).isEqualTo(2);
        assertThat(Files.readString(secrets)).isEqualTo("original secrets\n");
        assertThat(Files.readString(config)).isEqualTo("original config\n");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("secrets.properties", "server.properties");
        }
    }

    @Test
    void aTargetThatCannotBeReadFailsBeforeAnythingIsReplaced() throws Exception {
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, "original secrets\n");
        Path config = dir.resolve("server.properties");
        Files.createDirectory(config);

        assertThatThrownBy(() -> AtomicFiles.writeAll(java.util.List.of(new AtomicFiles.Write(secrets, bytes("new secrets\n"), true),
                new AtomicFiles.Write(config, bytes("new config\n"), false))))
                .isInstanceOf(java.io.IOException.class);
        assertThat(Files.readString(secrets)).isEqualTo("original secrets\n");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
