package io.keyhold.server.internal.keys;

import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.Ids;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for {@code byok_keys} and the identities of the KMS keys they name ({@code kms_key_identities}). */
public final class KeyStore {
    static final String REFERENCE = "REFERENCE";
    static final String KMS = "KMS";

    private final Sql sql;

    public KeyStore(Sql sql) {
        this.sql = sql;
    }

    /** List filters; null means "not filtered". */
    public record Filter(String provider, String state, String phase, String region, String displayName, String key) {
    }

    /** The KMS key is already named by another key object: {@code holder} (null if it went away meanwhile). */
    static final class IdentityHeld extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient KeyRow holder;

        IdentityHeld(KeyRow holder) {
            super("the KMS key is held by " + (holder == null ? "another key" : holder.id()), null, false, false);
            this.holder = holder;
        }
    }

    /**
     * Counts, then inserts under the organization's row lock, together with the identity of the KMS
     * key it names; returns empty when the quota is full, throws {@link IdentityHeld} when another key
     * object (of any organization) names that KMS key. The identity's primary key decides races
     * between organizations, whose inserts do not share a lock.
     */
    public Optional<KeyRow> insert(String orgId, String displayName, KeySpec spec, String message, long now, int quota) {
        try {
            return sql.tx(c -> {
                Sql.lockOrganization(c, orgId);
                long count = Sql.one(c, "SELECT COUNT(*) FROM byok_keys WHERE org_id = ?", rs -> rs.getLong(1), orgId).orElse(0L);
                if (count >= quota) {
                    return Optional.empty();
                }
                Optional<KeyRow> holder = holder(c, spec.identity());
                if (holder.isPresent()) {
                    throw new IdentityHeld(holder.get());
                }
                long seq = Sql.one(c, "SELECT COALESCE(MAX(seq), 0) + 1 FROM byok_keys WHERE org_id = ?", rs -> rs.getLong(1), orgId)
                        .orElse(1L);
                String id = Ids.newId("cck");
                Sql.update(c, "INSERT INTO byok_keys (id, seq, org_id, display_name, kind, provider, key_ident, key_json, region, "
                                + "validation_phase, validation_since, validation_message, cluster_id, hold_until, created_at, updated_at, "
                                + "kms_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'INITIALIZING', ?, ?, NULL, NULL, ?, ?, ?)",
                        id, seq, orgId, displayName, spec.kind(), spec.provider(), spec.ident(), spec.stored().toString(),
                        spec.region(), now, message, now, now, spec.kmsRef());
                insertIdentity(c, spec.identity(), id, REFERENCE, now);
                return Sql.one(c, "SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE id = ?", KeyRow::map, id);
            });
        } catch (Sql.DataAccessException e) {
            if (e.isConstraintViolation()) {
                throw new IdentityHeld(holder(spec.identity()).orElse(null));
            }
            throw e;
        }
    }

    /**
     * Records the key's identity as its KMS described it ({@code kmsKeyId}, whose identity is
     * {@code identity}) and claims that identity for the key. Returns the other key object that
     * already holds it, if any; the key is then marked a duplicate of it and can not be claimed.
     */
    Optional<KeyRow> learnKmsIdentity(String keyId, String kmsKeyId, String identity, long now) {
        for (int attempt = 0; ; attempt++) {
            try {
                return sql.tx(c -> {
                    if (Sql.update(c, "UPDATE byok_keys SET kms_key_id = ? WHERE id = ?", kmsKeyId, keyId) == 0) {
                        return Optional.<KeyRow>empty(); // deleted meanwhile
                    }
                    Optional<KeyRow> holder = holder(c, identity);
                    if (holder.isEmpty()) {
                        insertIdentity(c, identity, keyId, KMS, now);
                        return Optional.<KeyRow>empty();
                    }
                    if (holder.get().id().equals(keyId)) {
                        return Optional.<KeyRow>empty();
                    }
                    Sql.update(c, "UPDATE byok_keys SET duplicate_of = ? WHERE id = ?", holder.get().id(), keyId);
                    return holder;
                });
            } catch (Sql.DataAccessException e) {
                if (!e.isConstraintViolation() || attempt > 0) {
                    throw e;
                }
                // another key object took the identity between our check and insert: go again, it is now held
            }
        }
    }

    private static void insertIdentity(Connection c, String identity, String keyId, String learnedFrom, long now) throws SQLException {
        Sql.update(c, "INSERT INTO kms_key_identities (kms_identity, key_id, learned_from, created_at) VALUES (?, ?, ?, ?)",
                identity, keyId, learnedFrom, now);
    }

    private static Optional<KeyRow> holder(Connection c, String identity) throws SQLException {
        return Sql.one(c, "SELECT " + prefixed() + " FROM byok_keys k JOIN kms_key_identities i ON i.key_id = k.id "
                + "WHERE i.kms_identity = ?", KeyRow::map, identity);
    }

    private Optional<KeyRow> holder(String identity) {
        return sql.one("SELECT " + prefixed() + " FROM byok_keys k JOIN kms_key_identities i ON i.key_id = k.id "
                + "WHERE i.kms_identity = ?", KeyRow::map, identity);
    }

    private static String prefixed() {
        return "k." + KeyRow.COLUMNS.replace(", ", ", k.");
    }

    public long countForOrg(String orgId) {
        return sql.count("SELECT COUNT(*) FROM byok_keys WHERE org_id = ?", orgId);
    }

    public Optional<KeyRow> get(String orgId, String id) {
        return sql.one("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE id = ? AND org_id = ?", KeyRow::map, id, orgId);
    }

    /** The key, when {@code viewer} sees it. */
    public Optional<KeyRow> get(KeyViewer viewer, String id, long now) {
        return get(viewer.orgId(), id).filter(r -> viewer.sees(r, now));
    }

    /** The organization's key object of {@code kind} that names KMS reference {@code kmsRef}, if any. */
    public Optional<KeyRow> byKmsRef(String orgId, String kind, String kmsRef) {
        return sql.one("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE org_id = ? AND kind = ? AND kms_ref = ? ORDER BY seq LIMIT 1",
                KeyRow::map, orgId, kind, kmsRef);
    }

    public Optional<KeyRow> get(String id) {
        return sql.one("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE id = ?", KeyRow::map, id);
    }

    public long count(KeyViewer viewer, Filter f, long now) {
        List<Object> params = new ArrayList<>();
        String where = where(viewer, f, now, params);
        return sql.count("SELECT COUNT(*) FROM byok_keys WHERE " + where, params.toArray());
    }

    public List<KeyRow> list(KeyViewer viewer, Filter f, long now, int offset, int limit) {
        List<Object> params = new ArrayList<>();
        String where = where(viewer, f, now, params);
        params.add(limit);
        params.add(offset);
        return sql.query("SELECT " + KeyRow.COLUMNS + " FROM byok_keys WHERE " + where + " ORDER BY seq LIMIT ? OFFSET ?",
                KeyRow::map, params.toArray());
    }

    /** The local KMS store names of the organization's LocalKeys that {@code viewer} does not see. */
    public List<String> hiddenLocalReferences(KeyViewer viewer, long now) {
        if (viewer.environments() == null) {
            return List.of();
        }
        List<Object> params = new ArrayList<>();
        String visible = viewer.where(params, now);
        params.add(0, viewer.orgId());
        return sql.query("SELECT kms_ref FROM byok_keys WHERE org_id = ? AND kind = 'LocalKey' AND NOT (" + visible + ")",
                rs -> rs.getString(1), params.toArray());
    }

    private static String where(KeyViewer viewer, Filter f, long now, List<Object> params) {
        StringBuilder w = new StringBuilder(viewer.where(params, now));
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

    /**
     * Deletes only a key that is free (no cluster, no running hold); the check and the delete are one
     * statement. The identities it held go with it (ON DELETE CASCADE): the KMS key is free again.
     */
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

    /** Records the version the KMS reports as current, when it is not known yet (validation): not a rotation. */
    public void learnVersion(String id, String version) {
        sql.update("UPDATE byok_keys SET current_version = ? WHERE id = ? AND current_version IS NULL", version, id);
    }

    /** A change of a key's current version; {@code before} is null when no version was known. */
    public record VersionChange(String before, String after) {
    }

    /**
     * Records that the key's current version is now {@code version} (a rotation); empty when the key
     * is gone or already had that version, so that two who notice one rotation record it once.
     */
    public Optional<VersionChange> rotated(String id, String version, long now) {
        return sql.tx(c -> {
            List<String[]> rows = Sql.query(c, "SELECT current_version FROM byok_keys WHERE id = ? FOR UPDATE",
                    rs -> new String[] {rs.getString(1)}, id);
            if (rows.isEmpty() || version.equals(rows.get(0)[0])) {
                return Optional.empty();
            }
            Sql.update(c, "UPDATE byok_keys SET current_version = ?, last_rotated_at = ?, updated_at = ? WHERE id = ?",
                    version, now, now, id);
            return Optional.of(new VersionChange(rows.get(0)[0], version));
        });
    }

    /** The VALID LocalKeys whose version is older than {@code before} (epoch ms): due for scheduled rotation. */
    public List<String> localKeysRotatedBefore(long before, int limit) {
        return sql.query("SELECT id FROM byok_keys WHERE kind = 'LocalKey' AND validation_phase = 'VALID' "
                        + "AND COALESCE(last_rotated_at, created_at) < ? ORDER BY created_at LIMIT ?", rs -> rs.getString(1), before, limit);
    }

    /** A key whose release hold ended and is not recorded yet: (id, organization, kind, end of the hold). */
    public record EndedHold(String id, String orgId, String kind, long holdUntil) {
    }

    public List<EndedHold> endedHolds(long now, int limit) {
        return sql.query("SELECT id, org_id, kind, hold_until FROM byok_keys WHERE cluster_id IS NULL AND hold_until IS NOT NULL "
                        + "AND hold_until <= ? AND (hold_released_at IS NULL OR hold_released_at < hold_until) ORDER BY hold_until LIMIT ?",
                rs -> new EndedHold(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)), now, limit);
    }

    /** Marks the hold's end as recorded; false when another server did it first. */
    public boolean markHoldReleased(String id, long holdUntil, long now) {
        return sql.update("UPDATE byok_keys SET hold_released_at = ? WHERE id = ? AND hold_until = ? "
                + "AND (hold_released_at IS NULL OR hold_released_at < hold_until)", Math.max(now, holdUntil), id, holdUntil) == 1;
    }

    public List<String> idsInPhase(String phase, int limit) {
        return sql.query("SELECT id FROM byok_keys WHERE validation_phase = ? ORDER BY created_at LIMIT ?",
                rs -> rs.getString(1), phase, limit);
    }

    /** VALID keys whose identity the KMS has not told yet: validated before identities were recorded. */
    List<String> idsWithoutKmsIdentity(int limit) {
        return sql.query("SELECT id FROM byok_keys WHERE validation_phase = 'VALID' AND kms_key_id IS NULL ORDER BY created_at LIMIT ?",
                rs -> rs.getString(1), limit);
    }
}
