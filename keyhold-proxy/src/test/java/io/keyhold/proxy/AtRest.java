package io.keyhold.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A test-side scan of broker data directories for plaintext, byte for byte (independent of the verifier). */
final class AtRest {
    private AtRest() {
    }

    /** Files under {@code dirs} that contain {@code needle} as UTF-8 bytes. */
    static List<Path> filesContaining(List<Path> dirs, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        List<Path> hits = new ArrayList<>();
        for (Path dir : dirs) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile).forEach(f -> {
                    try {
                        if (indexOf(Files.readAllBytes(f), n) >= 0) {
                            hits.add(f);
                        }
                    } catch (IOException e) {
                        // segments can be deleted or renamed under us by the log cleaner: skip those
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return hits;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
