package io.keyhold.proxy.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.kms.audit.AuditWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone proxy's audit trail: one JSON object per line, appended to a file only its owner can
 * read or write (created {@code rw-------}; an existing file with wider permissions is narrowed).
 * {@link #record} only queues (it runs on event loops and KMS callbacks); one writer thread
 * ({@link AuditWriter}) appends what is queued and fsyncs it ({@code FileChannel.force}) before it
 * takes the next batch, so a crash loses at most what was still queued in memory. The fields are those of
 * {@code GET /audit/v1/events}; never key material. Events that find the queue full are counted
 * ({@link #dropped()}) and logged, never waited for.
 */
public final class AuditFile implements AuditSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUEUE = 50_000;
    private static final int BATCH = 500;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final FileChannel channel;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AuditWriter writer;

    private AuditFile(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
        this.writer = new AuditWriter("keyhold-audit-file", QUEUE, BATCH, this::write, this::lost);
    }

    /** Opens {@code file} for appending, creating it (and its directory) owner-only. */
    public static AuditFile open(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                Files.setPosixFilePermissions(file, OWNER_ONLY); // the trail names keys and principals: nobody else reads it
            }
        }
        return new AuditFile(file, ch);
    }

    @Override
    public void record(AuditEvent event) {
        writer.record(event);
    }

    private void lost(AuditEvent event, boolean closed) {
        long n = dropped.incrementAndGet();
        if (Long.bitCount(n) == 1) { // 1, 2, 4, 8, ...: visible without flooding the log
            LOG.warn("{} audit events lost so far (audit file {} {})", n, file, closed ? "closed" : "queue full");
        }
    }

    /** Events lost: the queue was full (the disk far behind) or the file could not be written. */
    public long dropped() {
        return dropped.get();
    }

    /** Events appended and synced to the file. */
    public long written() {
        return written.get();
    }

    private void write(List<AuditEvent> batch) {
        StringBuilder lines = new StringBuilder();
        for (AuditEvent e : batch) {
            lines.append(line(e)).append('\n');
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(false);
            written.addAndGet(batch.size());
        } catch (IOException e) {
            dropped.addAndGet(batch.size());
            LOG.error("{} audit events could not be written to {}: {}", batch.size(), file, e.toString());
        }
    }

    /** One event as the JSON line the file holds (the field names of {@code GET /audit/v1/events}). */
    static String line(AuditEvent e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("time", e.time().toString());
        o.put("event_type", e.type().name());
        o.put("principal", e.principal());
        o.put("organization", e.organization());
        o.put("cluster", e.cluster());
        o.put("key", e.key());
        o.put("provider", e.provider());
        o.put("key_version", e.keyVersion());
        o.put("operation", e.operation());
        o.put("outcome", e.outcome());
        if (e.latencyMillis() >= 0) {
            o.put("latency_ms", e.latencyMillis());
        } else {
            o.putNull("latency_ms");
        }
        o.put("process", e.process());
        o.put("message", e.message());
        return o.toString();
    }

    /** Stops taking events, appends the queued ones (waiting at most five seconds) and closes the file. */
    @Override
    public void close() {
        writer.close();
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("closing audit file {}: {}", file, e.toString());
        }
    }
}
