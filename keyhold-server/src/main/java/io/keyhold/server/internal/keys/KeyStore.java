package io.keyhold.server.internal.keys;

import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.Ids;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for {@code byok_keys}. */
public final class KeyStore {
    private final Sql sql;

    public KeyStore(Sql sql) {
        this.sql = sql;
    }

    /** List filters; null means "not filtered". */
    public record Filter(String provider, String state, String phase, String region, String displayName, String key) {
    }

    /** Counts, then inserts under the organization's row lock; returns empty when the quota is full. */
    public Optional<KeyRow> insert(String orgId, String displayName, KeySpec spec, String message, long now, int quota) {
        return sql.tx(c -> {
            Sql.lockOrganization(c, orgId);
            long count = Sql.one(c, "SELECT COUNT(*) FROM byok_keys WHERE org_id = ?", rs -> rs.getLong(1), orgId).orElse(0L);
            if (count >= quota) {
                return Optional.empty();
            }
            long seq = Sql.one(c, "SELECT COALESCE(MAX(seq), 0) + 1 FROM byok_keys WHERE org_id = ?", rs -> rs.getLong(1), orgId)
                    .orElse(1L);
            String id = Ids.newId("cck");
            Sql.update(c, "INSERT INTO byok_keys (id, seq, org_id, display_name, kind, provider, key_ident, key_json, region, "
                            + "validation_phase, validation_since, validation_message, cluster_id, hold_until, created_at, updated_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'INITIALIZING', ?, ?, NULL, NULL, ?, ?)",
                    id, seq, orgId, displayName, spec.kind(), spec.provider(), spec.ident(), spec.stored().toString(),
                    spec.region(), now, message, now, now);
            return Sql.one(c, "SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE id = ?", KeyRow::map, id);
        });
    }

    public long countForOrg(String orgId) {
        return sql.count("SELECT COUNT(*) FROM byok_keys WHERE org_id = ?", orgId);
    }

    public Optional<KeyRow> get(String orgId, String id) {
        return sql.one("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE id = ? AND org_id = ?", KeyRow::map, id, orgId);
    }

    public Optional<KeyRow> get(String id) {
        return sql.one("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE id = ?", KeyRow::map, id);
    }

    public long count(String orgId, Filter f, long now) {
        List<Object> params = new ArrayList<>();
        String where = where(orgId, f, now, params);
        return sql.count("SELECT COUNT(*) FROM byok_keys WHERE " + where, params.toArray());
    }

    public List<KeyRow> list(String orgId, Filter f, long now, int offset, int limit) {
        List<Object> params = new ArrayList<>();
        String where = where(orgId, f, now, params);
        params.add(limit);
        params.add(offset);
        return sql.query("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE " + where + " ORDER BY seq LIMIT ? OFFSET ?",
                KeyRow::map, params.toArray());
    }

    private static String where(String orgId, Filter f, long now, List<Object> params) {
        StringBuilder w = new StringBuilder("org_id = ?");
        params.add(orgId);
        if (f.provider() != null) {
            w.append(" AND provider = ?");
            params.add(f.provider());
        }
        if (f.phase() != null) {
            w.append(" AND validation_phase = ?");
            params.add(f.phase());
        }
        if (f.region() != null) {
            w.append(" AND region = ?");
            params.add(f.region());
        }
        if (f.displayName() != null) {
            w.append(" AND LOWER(display_name) LIKE ? ESCAPE '!'");
            params.add(Sql.likeContains(f.displayName()));
        }
        if (f.key() != null) {
            w.append(" AND LOWER(key_ident) LIKE ? ESCAPE '!'");
            params.add(Sql.likeContains(f.key()));
        }
        if ("IN_USE".equals(f.state())) {
            w.append(" AND (cluster_id IS NOT NULL OR (hold_until IS NOT NULL AND hold_until > ?))");
            params.add(now);
        } else if ("AVAILABLE".equals(f.state())) {
            w.append(" AND cluster_id IS NULL AND (hold_until IS NULL OR hold_until <= ?)");
            params.add(now);
        }
        return w.toString();
    }

    public boolean rename(String orgId, String id, String displayName, long now) {
        return sql.update("UPDATE byok_keys SET display_name = ?, updated_at = ? WHERE id = ? AND org_id = ?",
                displayName, now, id, orgId) == 1;
    }

    /** Deletes only a key that is free (no cluster, no running hold); the check and the delete are one statement. */
    public boolean deleteIfFree(String orgId, String id, long now) {
        return sql.update("DELETE FROM byok_keys WHERE id = ? AND org_id = ? AND cluster_id IS NULL "
                + "AND (hold_until IS NULL OR hold_until <= ?)", id, orgId, now) == 1;
    }

    /** Records a validation result; the region is filled in only when the KMS reported one. */
    public void setValidation(String id, String phase, String message, String region, long now) {
        sql.update("UPDATE byok_keys SET validation_phase = ?, validation_message = ?, region = COALESCE(?, region), "
                + "validation_since = CASE WHEN validation_phase = ? THEN validation_since ELSE ? END, updated_at = ? WHERE id = ?",
                phase, message, region, phase, now, now, id);
    }

    public List<String> idsInPhase(String phase, int limit) {
        return sql.query("SELECT id FROM byok_keys WHERE validation_phase = ? ORDER BY created_at LIMIT ?",
                rs -> rs.getString(1), phase, limit);
    }
}
