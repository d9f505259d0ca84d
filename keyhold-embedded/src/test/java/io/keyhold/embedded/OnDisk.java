package io.keyhold.embedded;

import io.keyhold.proxy.internal.LogScanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What the broker stores of the records' partitions, searched for plaintext while the broker runs. */
final class OnDisk {
    private OnDisk() {
    }

    /**
     * Occurrences of {@code needle} in the segments of every topic partition under {@code logDir}.
     * Kafka's own internal logs (the KRaft metadata log, written while we read) hold no records of
     * the clients and are left out: a half-written batch there would read as unreadable, not as plaintext.
     */
    static List<LogScanner.Hit> plaintext(Path logDir, String needle) throws IOException {
        List<LogScanner.Hit> hits = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(logDir)) {
            for (Path partition : dirs.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith("__")).toList()) {
                hits.addAll(LogScanner.scan(partition, needle.getBytes(StandardCharsets.UTF_8)));
            }
        }
        return hits;
    }
}
