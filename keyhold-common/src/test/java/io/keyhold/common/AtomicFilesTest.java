package io.keyhold.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesOwnerOnlyAndReplacesWithoutLeavingTemporaryFiles() throws Exception {
        Path f = dir.resolve("sub/secret.txt");
        AtomicFiles.write(f, "one".getBytes());
        AtomicFiles.write(f, "two".getBytes());
        assertThat(Files.readString(f)).isEqualTo("two");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        try (var files = Files.list(f.getParent())) {
            assertThat(files).containsExactly(f);
        }
    }

    @Test
    void createRefusesToOverwrite() throws Exception {
        Path f = dir.resolve("x");
        AtomicFiles.create(f, new byte[] {1});
        assertThatThrownBy(() -> AtomicFiles.create(f, new byte[] {2})).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readAllBytes(f)).containsExactly(1);
    }

    @Test
    void privateDirectoriesAreOwnerOnly() throws Exception {
        Path d = AtomicFiles.createPrivateDirectories(dir.resolve("a/b"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
    }
}
