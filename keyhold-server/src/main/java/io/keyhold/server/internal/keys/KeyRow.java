package io.keyhold.server.internal.keys;

import java.sql.ResultSet;
import java.sql.SQLException;

/** One row of {@code byok_keys}. Times are epoch milliseconds; holdUntil is null when no hold runs. */
public record KeyRow(String id, String orgId, String displayName, String kind, String provider, String ident,
                     String keyJson, String region, String phase, long since, String message, String clusterId,
                     Long holdUntil, long createdAt, long updatedAt) {

    static final String COLUMNS = "id, org_id, display_name, kind, provider, key_ident, key_json, region, validation_phase, "
            + "validation_since, validation_message, cluster_id, hold_until, created_at, updated_at";

    static KeyRow map(ResultSet rs) throws SQLException {
        long hold = rs.getLong(13);
        Long holdUntil = rs.wasNull() ? null : hold;
        return new KeyRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getLong(10), rs.getString(11),
                rs.getString(12), holdUntil, rs.getLong(14), rs.getLong(15));
    }

    /** IN_USE while a cluster uses the key and during the release hold after that cluster was deleted. */
    public boolean inUse(long now) {
        return clusterId != null || (holdUntil != null && holdUntil > now);
    }
}
