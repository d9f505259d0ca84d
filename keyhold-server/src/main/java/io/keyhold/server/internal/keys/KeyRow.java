package io.keyhold.server.internal.keys;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One row of {@code byok_keys}. Times are epoch milliseconds; holdUntil is null when no hold runs.
 *
 * @param ident       the key's identifier as the customer gave it (normalised), shown and filtered on
 * @param kmsRef      the reference the KMS is called with: {@code ident}, except for a LocalKey, whose
 *                    reference is its local KMS store name ({@code <org-id>/<name>})
 * @param kmsKeyId    the key's identity as its KMS described it, or null until the validator learned it
 * @param duplicateOf the key object that holds the KMS key this one names too, or null (see V2 migration)
 * @param claimEnvId  the environment of the cluster that claimed the key, kept through the release hold
 * @param currentVersion the key version new DEKs are wrapped under, as last learned from the KMS, or null
 * @param lastRotatedAt  when that version became current (rotated by Keyhold, or noticed), or null if never
 */
public record KeyRow(String id, String orgId, String displayName, String kind, String provider, String ident,
                     String keyJson, String region, String phase, long since, String message, String clusterId,
                     Long holdUntil, long createdAt, long updatedAt, String kmsRef, String kmsKeyId, String duplicateOf,
                     String claimEnvId, String currentVersion, Long lastRotatedAt) {

    static final String COLUMNS = "id, org_id, display_name, kind, provider, key_ident, key_json, region, validation_phase, "
            + "validation_since, validation_message, cluster_id, hold_until, created_at, updated_at, kms_ref, kms_key_id, "
            + "duplicate_of, claim_env_id, current_version, last_rotated_at";

    static KeyRow map(ResultSet rs) throws SQLException {
        long hold = rs.getLong(13);
        Long holdUntil = rs.wasNull() ? null : hold;
        long rotated = rs.getLong(21);
        Long lastRotatedAt = rs.wasNull() ? null : rotated;
        return new KeyRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getLong(10), rs.getString(11),
                rs.getString(12), holdUntil, rs.getLong(14), rs.getLong(15), rs.getString(16), rs.getString(17),
                rs.getString(18), rs.getString(19), rs.getString(20), lastRotatedAt);
    }

    /** IN_USE while a cluster uses the key and during the release hold after that cluster was deleted. */
    public boolean inUse(long now) {
        return clusterId != null || (holdUntil != null && holdUntil > now);
    }

    /** The identity of the KMS key as the key object's reference names it. */
    String referenceIdentity() {
        return KeyIdentities.of(kind, kmsRef);
    }
}
