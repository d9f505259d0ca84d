package io.keyhold.common;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
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
 * Replaces files so that a crash at any moment leaves either the old content or the new, never a
 * mix: each new content goes to a temp file in the same directory (created with its final
 * permissions, so a secret is never readable by others, not even briefly), is fsynced, renamed over
 * the target, and the directory is fsynced.
 *
 * <p>{@link #writeAll} replaces several files as one change: all temp files are prepared first (a
 * failure there changes nothing), then renamed; if a rename fails, the files already replaced are
 * put back.
 */
public final class AtomicFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> NEW_SHARED_FILE = PosixFilePermissions.fromString("rw-r--r--");

    /** New content for one file; {@code ownerOnly} files end up rw-------, others keep their permissions. */
    public record Write(Path target, byte[] content, boolean ownerOnly) {
    }

    /** Renames a prepared temp file over its target; a seam so tests can fail the n-th rename. */
    @FunctionalInterface
    public interface Renamer {
        void rename(Path temp, Path target) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Replaces {@code target} with {@code content}, owner-only. */
    public static void write(Path target, byte[] content) throws IOException {
        writeAll(List.of(new Write(target, content, true)));
    }

    /** Creates {@code target} with {@code content}, owner-only, failing if it exists already. */
    public static void create(Path target, byte[] content) throws IOException {
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        write(target, content);
    }

    /** Replaces every file in {@code writes}, all or none. */
    public static void writeAll(List<Write> writes) throws IOException {
        writeAll(writes, AtomicFiles::rename);
    }

    /** As {@link #writeAll(List)}, renaming through {@code renamer} (tests). */
    public static void writeAll(List<Write> writes, Renamer renamer) throws IOException {
        List<Path> temps = new ArrayList<>();
        List<byte[]> originals = new ArrayList<>();
        try {
            for (Write w : writes) {
                Path target = w.target().toAbsolutePath();
                Files.createDirectories(target.getParent());
                originals.add(Files.exists(target) ? Files.readAllBytes(target) : null);
                temps.add(prepare(target, w.content(), permissionsFor(target, w.ownerOnly())));
            }
        } catch (IOException e) {
            deleteQuietly(temps);
            throw e;
        }
        int renamed = 0;
        try {
            for (int i = 0; i < writes.size(); i++) {
                renamer.rename(temps.get(i), writes.get(i).target().toAbsolutePath());
                renamed++;
            }
        } catch (IOException e) {
            deleteQuietly(temps.subList(renamed, temps.size()));
            rollBack(writes, originals, renamed);
            throw new IOException("could not replace " + writes.get(renamed).target() + ": " + e.getMessage(), e);
        }
    }

    /** Creates a directory (and parents) that only its owner can enter, where the file system supports it. */
    public static Path createPrivateDirectories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            if (supportsPosix(parent)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
            } else {
                Files.createDirectories(dir);
            }
        }
        return dir;
    }

    private static Path prepare(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = target.getParent();
        Path temp;
        if (supportsPosix(dir)) {
            temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", PosixFilePermissions.asFileAttribute(permissions));
            Files.setPosixFilePermissions(temp, permissions); // createTempFile applied the umask
        } else {
            temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
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

    private static void rename(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target.getParent() + " cannot rename atomically", e);
        }
        fsyncDirectory(target.getParent());
    }

    /** Puts back the files already replaced, so that a failure leaves every file as it was. */
    private static void rollBack(List<Write> writes, List<byte[]> originals, int renamed) {
        for (int i = 0; i < renamed; i++) {
            Path target = writes.get(i).target().toAbsolutePath();
            try {
                if (originals.get(i) == null) {
                    Files.deleteIfExists(target);
                } else {
                    rename(prepare(target, originals.get(i), permissionsFor(target, writes.get(i).ownerOnly())), target);
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
            return NEW_SHARED_FILE;
        }
    }

    private static boolean supportsPosix(Path dir) {
        return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
    }

    private static void fsyncDirectory(Path dir) {
        // Makes the rename itself durable; not every platform can open a directory.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort: the rename itself is still atomic
        }
    }

    private static void deleteQuietly(List<Path> paths) {
        for (Path p : paths) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a stray temp file is harmless: it holds only what was about to be written, owner-only
            }
        }
    }
}
