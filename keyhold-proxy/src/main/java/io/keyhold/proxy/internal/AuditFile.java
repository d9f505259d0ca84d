package io.keyhold.proxy.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditSink;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone proxy's audit trail ({@code audit.file} in {@code proxy.yaml}): one JSON object per
 * line, appended and flushed by a thread of its own, so {@link #record} never blocks a lock or an
 * event loop. The file is created owner-only (0600) and never truncated. Events that do not fit the
 * bounded queue are dropped and counted ({@link #dropped()}), with a warning.
 */
public final class AuditFile implements AuditSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUEUE_CAPACITY = 10_000;

    private final Path file;
    private final OutputStream out;
    private final BlockingQueue<AuditEvent> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;

    private AuditFile(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
        this.writer = new Thread(this::run, "keyhold-audit-file");
        writer.setDaemon(true);
        writer.start();
    }

    /** Opens (creating it owner-only if needed) {@code file} for appending. */
    public static AuditFile open(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        FileAttribute<?>[] ownerOnly = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        OutputStream out = Channels.newOutputStream(Files.newByteChannel(file,
                java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), ownerOnly));
        return new AuditFile(file, out);
    }

    @Override
    public void record(AuditEvent event) {
        if (closed || !queue.offer(event)) {
            long n = dropped.incrementAndGet();
            LOG.warn("audit file {}: an event was dropped ({} so far): {}", file, n, closed ? "closed" : "queue full");
        }
    }

    /** Events that could not be written. */
    public long dropped() {
        return dropped.get();
    }

    private void run() {
        while (!closed || !queue.isEmpty()) {
            try {
                AuditEvent e = queue.poll(200, TimeUnit.MILLISECONDS);
                if (e != null) {
                    out.write(line(e));
                    out.flush();
                }
            } catch (InterruptedException e) {
                if (closed) {
                    continue; // write what is left, then stop
                }
            } catch (IOException e) {
                dropped.incrementAndGet();
                LOG.warn("audit file {}: cannot write an event: {}", file, e.toString());
            }
        }
    }

    static byte[] line(AuditEvent e) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", e.time().toString());
        n.put("event_type", e.type().name());
        put(n, "principal", e.principal());
        put(n, "organization", e.organization());
        put(n, "cluster", e.cluster());
        put(n, "key", e.key());
        put(n, "provider", e.provider());
        put(n, "key_version", e.keyVersion());
        put(n, "operation", e.operation());
        put(n, "outcome", e.outcome());
        if (e.latencyMillis() >= 0) {
            n.put("latency_ms", e.latencyMillis());
        }
        n.put("process", e.process());
        put(n, "message", e.message());
        byte[] json = JSON.writeValueAsBytes(n);
        byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
        out[json.length] = '\n';
        return out;
    }

    private static void put(ObjectNode n, String field, String value) {
        if (value != null) {
            n.put(field, value);
        }
    }

    /** Writes what is queued (waiting up to 5 s), then closes the file. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            out.close();
        } catch (IOException e) {
            LOG.warn("audit file {}: cannot close: {}", file, e.toString());
        }
    }
}
