package io.keyhold.secrets.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Replaces files so that a reader sees either the old or the new content, never a mix: each new
 * content goes to a temp file in the same directory, is fsynced, and is renamed over the target.
 * Several files are prepared first and renamed last, so a failure while preparing changes nothing.
 */
public final class AtomicFiles {
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DEFAULT = PosixFilePermissions.fromString("rw-r--r--");

    /** New content for a file; owner-only files are created rw------- whatever they were before. */
    public record Write(Path target, byte[] content, boolean ownerOnly) {
    }

    private AtomicFiles() {
    }

    public static void write(Write... writes) {
        write(List.of(writes));
    }

    public static void write(List<Write> writes) {
        write(writes, AtomicFiles::move);
    }

    /** Renames a prepared temp file over its target; a seam so tests can fail the n-th rename. */
    interface Mover {
        void move(Path temp, Path target) throws IOException;
    }

    static void write(List<Write> writes, Mover mover) {
        List<Path> temps = new ArrayList<>();
        List<byte[]> originals = new ArrayList<>();
        try {
            for (Write w : writes) {
                Path target = w.target().toAbsolutePath();
                originals.add(Files.exists(target) ? Files.readAllBytes(target) : null);
                temps.add(prepare(target, w.content(), permissionsFor(target, w.ownerOnly())));
            }
        } catch (IOException e) {
            deleteQuietly(temps);
            throw new SecretsException("could not write \"" + describe(writes, temps.size()) + "\": " + e.getMessage(),
                    "Check that the directory exists and is writable, then try again.", e);
        }
        int renamed = 0;
        try {
            for (int i = 0; i < writes.size(); i++) {
                mover.move(temps.get(i), writes.get(i).target().toAbsolutePath());
                renamed++;
            }
        } catch (IOException e) {
            deleteQuietly(temps.subList(renamed, temps.size()));
            rollBack(writes, originals, renamed);
            throw new SecretsException("could not replace \"" + writes.get(renamed).target() + "\": " + e.getMessage(),
                    "Check that the directory is writable, then try again.", e);
        }
    }

    private static Path prepare(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = target.getParent();
        Path temp;
        if (supportsPosix(dir)) {
            temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(permissions));
            // createTempFile applies the umask; set the exact permissions wanted.
            Files.setPosixFilePermissions(temp, permissions);
        } else {
            temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return temp;
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(target.getParent());
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename itself durable; not every platform can open a directory.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }

    /** Puts back the files already replaced, so that a failure leaves every file as it was. */
    private static void rollBack(List<Write> writes, List<byte[]> originals, int renamed) {
        for (int i = 0; i < renamed; i++) {
            Path target = writes.get(i).target().toAbsolutePath();
            try {
                if (originals.get(i) == null) {
                    Files.deleteIfExists(target);
                } else {
                    Path temp = prepare(target, originals.get(i), permissionsFor(target, writes.get(i).ownerOnly()));
                    move(temp, target);
                }
            } catch (IOException ignored) {
                // Nothing more can be done; the caller reports the original failure.
            }
        }
    }

    private static Set<PosixFilePermission> permissionsFor(Path target, boolean ownerOnly) throws IOException {
        if (ownerOnly) {
            return OWNER_ONLY;
        }
        try {
            return Files.getPosixFilePermissions(target);
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            return DEFAULT;
        }
    }

    private static boolean supportsPosix(Path dir) {
        return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
    }

    private static void deleteQuietly(List<Path> paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a stray temp file is harmless; it holds only what was about to be written
            }
        }
    }

    private static String describe(List<Write> writes, int index) {
        return writes.get(Math.min(index, writes.size() - 1)).target().toString();
    }
}
