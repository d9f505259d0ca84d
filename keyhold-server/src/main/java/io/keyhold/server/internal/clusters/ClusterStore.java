package io.keyhold.server.internal.clusters;

import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.Ids;
import java.util.List;
import java.util.Optional;

/** SQL for {@code clusters}, including the key claim on create and the key release hold on delete. */
public final class ClusterStore implements ClusterRuntime.StatusSink {
    private final Sql sql;
    private final java.time.Clock clock;

    public ClusterStore(Sql sql, java.time.Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /** What a create needs, already checked. */
    record NewCluster(String orgId, String environmentId, String displayName, String availability, String cloud, String region,
                      String configJson, String byokKeyId) {
    }

    /**
     * Inserts the cluster and, in the same transaction, claims its key. Empty when the key was taken
     * (or stopped being VALID) between the caller's checks and this statement.
     */
    Optional<ClusterRow> insert(NewCluster n, long now) {
        return sql.tx(c -> {
            Sql.lockOrganization(c, n.orgId());
            String id = Ids.newId("lkc");
            if (n.byokKeyId() != null) {
                // duplicate_of: a key object naming a KMS key another one holds never gets a cluster
                int claimed = Sql.update(c, "UPDATE byok_keys SET cluster_id = ?, claim_env_id = ?, hold_until = NULL, updated_at = ? "
                                + "WHERE id = ? AND org_id = ? AND cluster_id IS NULL AND (hold_until IS NULL OR hold_until <= ?) "
                                + "AND validation_phase = 'VALID' AND duplicate_of IS NULL",
                        id, n.environmentId(), now, n.byokKeyId(), n.orgId(), now);
                if (claimed != 1) {
                    c.rollback();
                    return Optional.<ClusterRow>empty();
                }
            }
            long seq = Sql.one(c, "SELECT COALESCE(MAX(seq), 0) + 1 FROM clusters WHERE org_id = ?", rs -> rs.getLong(1), n.orgId())
                    .orElse(1L);
            Sql.update(c, "INSERT INTO clusters (id, seq, org_id, environment_id, display_name, availability, cloud, region, config_json, "
                            + "byok_key_id, phase, phase_message, bootstrap, created_at, updated_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                    id, seq, n.orgId(), n.environmentId(), n.displayName(), n.availability(), n.cloud(), n.region(), n.configJson(),
                    n.byokKeyId(), ClusterPhase.PROVISIONING.name(), now, now);
            return Sql.one(c, "SELECT " + ClusterRow.COLUMNS + " FROM clusters WHERE id = ?", ClusterRow::map, id);
        });
    }

    /**
     * Claims {@code keyId} for a re-key of the cluster: by the same rules as a create, so no other
     * cluster can take it meanwhile. False when it is taken, held, not VALID or a duplicate.
     */
    boolean claimForRekey(ClusterRow cluster, String keyId, long now) {
        return sql.tx(c -> {
            Sql.lockOrganization(c, cluster.orgId());
            return Sql.update(c, "UPDATE byok_keys SET cluster_id = ?, claim_env_id = ?, hold_until = NULL, updated_at = ? "
                            + "WHERE id = ? AND org_id = ? AND cluster_id IS NULL AND (hold_until IS NULL OR hold_until <= ?) "
                            + "AND validation_phase = 'VALID' AND duplicate_of IS NULL",
                    cluster.id(), cluster.environmentId(), now, keyId, cluster.orgId(), now) == 1;
        });
    }

    /** Gives back a key claimed for a re-key that did not happen. */
    void releaseRekeyClaim(String clusterId, String keyId, long now) {
        sql.tx(c -> Sql.update(c, "UPDATE byok_keys SET cluster_id = NULL, claim_env_id = NULL, updated_at = ? "
                + "WHERE id = ? AND cluster_id = ?", now, keyId, clusterId));
    }

    /**
     * After a successful re-key, in one transaction: the cluster's key becomes {@code newKeyId} and
     * the old key's release hold starts (as for a deleted cluster). False when the cluster is gone
     * or no longer on {@code oldKeyId}.
     */
    boolean switchKey(String clusterId, String oldKeyId, String newKeyId, long now, long holdMillis) {
        return sql.tx(c -> {
            int moved = Sql.update(c, "UPDATE clusters SET byok_key_id = ?, updated_at = ? WHERE id = ? AND byok_key_id = ?",
                    newKeyId, now, clusterId, oldKeyId);
            if (moved != 1) {
                c.rollback();
                return false;
            }
            Sql.update(c, "UPDATE byok_keys SET cluster_id = NULL, hold_until = ?, updated_at = ? WHERE id = ? AND cluster_id = ?",
                    now + holdMillis, now, oldKeyId, clusterId);
            return true;
        });
    }

    Optional<ClusterRow> get(String orgId, String environmentId, String id) {
        return sql.one("SELECT " + ClusterRow.COLUMNS + " FROM clusters WHERE id = ? AND org_id = ? AND environment_id = ?",
                ClusterRow::map, id, orgId, environmentId);
    }

    long count(String environmentId) {
        return sql.count("SELECT COUNT(*) FROM clusters WHERE environment_id = ?", environmentId);
    }

    List<ClusterRow> list(String environmentId, int offset, int limit) {
        return sql.query("SELECT " + ClusterRow.COLUMNS + " FROM clusters WHERE environment_id = ? ORDER BY seq LIMIT ? OFFSET ?",
                ClusterRow::map, environmentId, limit, offset);
    }

    /** The ids of every cluster of an organization, whatever its environment; {@code GET /metrics} shows only these. */
    public java.util.Set<String> idsInOrganization(String orgId) {
        return java.util.Set.copyOf(sql.query("SELECT id FROM clusters WHERE org_id = ?", rs -> rs.getString(1), orgId));
    }

    /** Every cluster, of every organization, now in {@code phase}. */
    List<ClusterRow> inPhase(ClusterPhase phase) {
        return sql.query("SELECT " + ClusterRow.COLUMNS + " FROM clusters WHERE phase = ? ORDER BY org_id, seq", ClusterRow::map,
                phase.name());
    }

    void rename(String id, String name, long now) {
        sql.update("UPDATE clusters SET display_name = ?, updated_at = ? WHERE id = ?", name, now, id);
    }

    /**
     * Deletes the cluster and starts its key's release hold, in one transaction. The key keeps its
     * claim_env_id through the hold: it is still that environment's key until the hold ends.
     */
    boolean delete(String id, long now, long holdMillis) {
        return sql.tx(c -> {
            Sql.update(c, "UPDATE byok_keys SET cluster_id = NULL, hold_until = ?, updated_at = ? WHERE cluster_id = ?",
                    now + holdMillis, now, id);
            return Sql.update(c, "DELETE FROM clusters WHERE id = ?", id) == 1;
        });
    }

    @Override
    public void report(String clusterId, ClusterPhase phase, String message, String bootstrapEndpoint) {
        sql.update("UPDATE clusters SET phase = ?, phase_message = ?, bootstrap = COALESCE(?, bootstrap), updated_at = ? WHERE id = ?",
                phase.name(), message, bootstrapEndpoint, clock.millis(), clusterId);
    }

    /**
     * Records that the cluster's KMS cannot be reached since {@code sinceMillis} (with the last
     * error), or, with null, that it answers again. The phase does not change: a cluster keeps
     * serving from its cached DEKs through the grace period.
     */
    public void setKmsUnavailable(String clusterId, Long sinceMillis, String problem) {
        sql.update("UPDATE clusters SET kms_unavailable_since = ?, kms_problem = ?, updated_at = ? WHERE id = ?",
                sinceMillis, problem == null ? null : ClustersApi.truncate(problem, 2048), clock.millis(), clusterId);
    }
}
