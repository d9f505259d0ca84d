package io.keyhold.server.internal.audit;

import io.keyhold.server.internal.db.Sql;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code audit_events} for one organization: filters, count, newest first. */
public final class AuditQuery {
    private static final String COLUMNS = "id, event_time, event_type, principal, cluster_id, key_id, kms_key, provider, key_version, "
            + "operation, outcome, latency_ms, process, message";

    private final Sql sql;

    public AuditQuery(Sql sql) {
        this.sql = sql;
    }

    /**
     * What to list; null means "not filtered". {@code key} matches a key object id or the KMS key
     * reference a call named; times are epoch milliseconds, {@code since} inclusive, {@code until} exclusive.
     */
    public record Filter(String key, String cluster, String type, String principal, Long since, Long until) {
    }

    /** One stored event. */
    public record Row(long id, long time, String type, String principal, String cluster, String keyId, String kmsKey,
                      String provider, String keyVersion, String operation, String outcome, long latencyMillis, String process,
                      String message) {
    }

    public long count(String orgId, Filter f) {
        List<Object> params = new ArrayList<>();
        return sql.count("SELECT COUNT(*) FROM audit_events WHERE " + where(orgId, f, params), params.toArray());
    }

    public List<Row> list(String orgId, Filter f, int offset, int limit) {
        List<Object> params = new ArrayList<>();
        String where = where(orgId, f, params);
        params.add(limit);
        params.add(offset);
        return sql.query("SELECT " + COLUMNS + " FROM audit_events WHERE " + where + " ORDER BY event_time DESC, id DESC LIMIT ? OFFSET ?",
                rs -> new Row(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                        rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getLong(12),
                        rs.getString(13), rs.getString(14)), params.toArray());
    }

    private static String where(String orgId, Filter f, List<Object> params) {
        StringBuilder w = new StringBuilder("org_id = ?");
        params.add(orgId);
        if (f.key() != null) {
            w.append(" AND (key_id = ? OR kms_key = ?)");
            params.add(f.key());
            params.add(f.key());
        }
        if (f.cluster() != null) {
            w.append(" AND cluster_id = ?");
            params.add(f.cluster());
        }
        if (f.type() != null) {
            w.append(" AND event_type = ?");
            params.add(f.type());
        }
        if (f.principal() != null) {
            w.append(" AND principal = ?");
            params.add(f.principal());
        }
        if (f.since() != null) {
            w.append(" AND event_time >= ?");
            params.add(f.since());
        }
        if (f.until() != null) {
            w.append(" AND event_time < ?");
            params.add(f.until());
        }
        return w.toString();
    }
}
