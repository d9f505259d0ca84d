package io.keyhold.server.internal.clusters;

import java.sql.ResultSet;
import java.sql.SQLException;

/** One row of {@code clusters}; {@code kmsUnavailableSince} (epoch millis) is null unless the key's KMS is unreachable now. */
public record ClusterRow(String id, String orgId, String environmentId, String displayName, String availability, String cloud,
                         String region, String configJson, String byokKeyId, String phase, String phaseMessage, String bootstrap,
                         long createdAt, long updatedAt, Long kmsUnavailableSince, String kmsProblem) {

    static final String COLUMNS = "id, org_id, environment_id, display_name, availability, cloud, region, config_json, "
            + "byok_key_id, phase, phase_message, bootstrap, created_at, updated_at, "
            + "kms_unavailable_since, kms_problem";

    static ClusterRow map(ResultSet rs) throws SQLException {
        return new ClusterRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12),
                rs.getLong(13), rs.getLong(14), rs.getObject(15) == null ? null : rs.getLong(15), rs.getString(16));
    }
}
