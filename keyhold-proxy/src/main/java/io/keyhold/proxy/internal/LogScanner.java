package io.keyhold.proxy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.FileLogInputStream;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.Record;

/**
 * Looks for a plaintext string in a Kafka log directory: in the raw bytes of every file (segments,
 * indexes, snapshots, checkpoints), and inside compressed record batches of every {@code .log}
 * segment, where plaintext would not show in the raw bytes.
 */
public final class LogScanner {
    /** One place the needle was found. */
    public record Hit(Path file, String where) {
        @Override
        public String toString() {
            return file + ": " + where;
        }
    }

    private LogScanner() {
    }

    public static List<Hit> scan(Path dir, byte[] needle) throws IOException {
        if (needle.length == 0) {
            throw new IllegalArgumentException("the needle must not be empty");
        }
        List<Hit> hits = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            try {
                scanRaw(f, needle, hits);
                if (f.getFileName().toString().endsWith(".log")) {
                    scanCompressedBatches(f, needle, hits);
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // removed by the broker (segment deletion, compaction) while we were walking
            }
        }
        return hits;
    }

    private static void scanRaw(Path f, byte[] needle, List<Hit> hits) throws IOException {
        byte[] buf = new byte[1 << 20];
        int carry = 0;
        long base = 0; // file offset of buf[0]
        try (InputStream in = Files.newInputStream(f)) {
            int n;
            while ((n = in.read(buf, carry, buf.length - carry)) > 0) {
                int len = carry + n;
                for (int i = 0; i + needle.length <= len; i++) {
                    if (matchesAt(buf, i, needle)) {
                        hits.add(new Hit(f, "byte offset " + (base + i)));
                    }
                }
                carry = Math.min(needle.length - 1, len);
                System.arraycopy(buf, len - carry, buf, 0, carry);
                base += len - carry;
            }
        }
    }

    private static void scanCompressedBatches(Path f, byte[] needle, List<Hit> hits) {
        try (FileRecords records = FileRecords.open(f.toFile(), false)) {
            for (FileLogInputStream.FileChannelRecordBatch batch : records.batches()) {
                if (batch.compressionType() == CompressionType.NONE) {
                    continue; // already covered by the raw scan
                }
                for (Record r : batch) {
                    if (contains(r.key(), needle) || contains(r.value(), needle) || headersContain(r.headers(), needle)) {
                        hits.add(new Hit(f, "record offset " + r.offset() + " (inside a " + batch.compressionType().name
                                + "-compressed batch)"));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            hits.add(new Hit(f, "unreadable as a Kafka segment (" + e.getClass().getSimpleName()
                    + "); compressed batches in it were not checked"));
        }
    }

    private static boolean headersContain(Header[] headers, byte[] needle) {
        for (Header h : headers) {
            if (contains(ByteBuffer.wrap(h.key().getBytes(java.nio.charset.StandardCharsets.UTF_8)), needle)
                    || (h.value() != null && contains(ByteBuffer.wrap(h.value()), needle))) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(ByteBuffer b, byte[] needle) {
        if (b == null) {
            return false;
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        for (int i = 0; i + needle.length <= a.length; i++) {
            if (matchesAt(a, i, needle)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesAt(byte[] a, int i, byte[] needle) {
        for (int j = 0; j < needle.length; j++) {
            if (a[i + j] != needle[j]) {
                return false;
            }
        }
        return true;
    }
}
