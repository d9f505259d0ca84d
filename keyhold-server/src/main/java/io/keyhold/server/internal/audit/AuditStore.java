package io.keyhold.server.internal.audit;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.kms.audit.AuditWriter;
import io.keyhold.server.internal.db.Sql;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable audit trail: events go into a bounded queue ({@link #record} never blocks, so event
 * loops and KMS callbacks can record) and one writer thread ({@link AuditWriter}) inserts them into {@code audit_events}
 * in batches. An event names its organization, or the store finds it while inserting: from the
 * cluster it names, else from the key object whose id or KMS reference it names (a KMS call knows
 * only the reference). An event whose organization can not be found is the server's own and no
 * organization reads it.
 *
 * <p>What is lost is counted, never hidden: a full queue (the database far behind) or a batch the
 * database refused three times counts in {@code keyhold_audit_dropped_total} and is logged;
 * {@code keyhold_audit_events_total} counts what was written.
 */
public final class AuditStore implements AuditSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditStore.class);
    static final int QUEUE = 50_000;
    private static final int BATCH = 500;
    private static final int ATTEMPTS = 3;
    private static final String VARCHAR = "CAST(? AS VARCHAR(2048))";
    private static final String INSERT = "INSERT INTO audit_events (event_time, event_type, principal, org_id, cluster_id, key_id, "
            + "kms_key, provider, key_version, operation, outcome, latency_ms, process, message) VALUES (?, ?, ?, "
            + "COALESCE(" + VARCHAR + ", (SELECT org_id FROM clusters WHERE id = " + VARCHAR + "), "
            + "(SELECT MIN(org_id) FROM byok_keys WHERE id = " + VARCHAR + " OR kms_ref = " + VARCHAR + ")), ?, "
            + "COALESCE(" + VARCHAR + ", (SELECT MIN(id) FROM byok_keys WHERE kms_ref = " + VARCHAR + ")), ?, ?, ?, ?, ?, ?, ?, ?)";
    /** Prefix of byok/v1 key object ids; any other {@link AuditEvent#key()} is a KMS key reference. */
    private static final String KEY_OBJECT = "cck-";

    private final Sql sql;
    private final Counter written;
    private final Counter dropped;
    private final AuditWriter writer;

    public AuditStore(Sql sql, MeterRegistry metrics) {
        this.sql = sql;
        this.written = Counter.builder("keyhold.audit.events").description("Audit events written to the database").register(metrics);
        this.dropped = Counter.builder("keyhold.audit.dropped")
                .description("Audit events lost: queue full or the database refused them").register(metrics);
        this.writer = new AuditWriter("keyhold-audit-writer", QUEUE, BATCH, this::write, this::lost);
    }

    @Override
    public void record(AuditEvent event) {
        writer.record(event);
    }

    private void lost(AuditEvent event, boolean closed) {
        dropped.increment();
        LOG.warn("audit event lost ({}): {} {}", closed ? "store closed" : "queue full", event.type(), event.operation());
    }

    /** Events waiting to be written. */
    int pending() {
        return writer.pending();
    }

    private void write(List<AuditEvent> batch) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                sql.tx(c -> {
                    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                        for (AuditEvent e : batch) {
                            bind(ps, e);
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                    return null;
                });
                written.increment(batch.size());
                return;
            } catch (RuntimeException e) {
                if (attempt >= ATTEMPTS) {
                    dropped.increment(batch.size());
                    LOG.error("{} audit events lost: the database refused them {} times: {}", batch.size(), ATTEMPTS, e.toString());
                    return;
                }
                Thread.sleep(500L * attempt);
            }
        }
    }

    private static void bind(PreparedStatement ps, AuditEvent e) throws SQLException {
        boolean keyObject = e.key() != null && e.key().startsWith(KEY_OBJECT);
        String keyId = keyObject ? e.key() : null;
        String kmsKey = keyObject ? null : e.key();
        int i = 1;
        ps.setLong(i++, e.time().toEpochMilli());
        ps.setString(i++, e.type().name());
        text(ps, i++, e.principal(), 255);
        text(ps, i++, e.organization(), 64);
        text(ps, i++, e.cluster(), 64);
        text(ps, i++, keyId, 64);
        text(ps, i++, kmsKey, 2048);
        text(ps, i++, e.cluster(), 64);
        text(ps, i++, keyId, 64);
        text(ps, i++, kmsKey, 2048);
        text(ps, i++, kmsKey, 2048);
        text(ps, i++, e.provider(), 32);
        text(ps, i++, e.keyVersion(), 512);
        text(ps, i++, e.operation(), 32);
        text(ps, i++, e.outcome(), 32);
        ps.setLong(i++, e.latencyMillis());
        text(ps, i++, e.process(), 255);
        text(ps, i, e.message(), 1024);
    }

    /** Binds {@code value} cut to the column's width: an over-long value must not cost the whole batch. */
    private static void text(PreparedStatement ps, int index, String value, int max) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, value.length() > max ? value.substring(0, max) : value);
        }
    }

    /** Deletes the events older than {@code cutoffMillis}; returns how many. */
    public int deleteOlderThan(long cutoffMillis) {
        return sql.update("DELETE FROM audit_events WHERE event_time < ?", cutoffMillis);
    }

    /** Stops taking events and writes the queued ones (waiting at most five seconds). */
    @Override
    public void close() {
        writer.close();
    }
}
