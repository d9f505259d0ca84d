package io.keyhold.server.internal.keys;

import io.keyhold.server.internal.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Schema version 3: the identities of the key objects registered before identities were recorded
 * (V3 made the table). Oldest first, each key object gets the identity of its reference unless an
 * older one already has it; such a later duplicate is marked {@code duplicate_of} (it can not be
 * claimed by a cluster again) and, when no cluster uses it, INVALID with the reason. A cluster that
 * already runs on a duplicate keeps running: its data is under that key. Java, not SQL, so that the
 * identities come from the one place that defines them ({@link KeyIdentities}).
 */
public final class ExistingKeyIdentities implements JavaMigration {
    private static final Logger LOG = LoggerFactory.getLogger(ExistingKeyIdentities.class);

    @Override
    public MigrationVersion getVersion() {
        return MigrationVersion.fromVersion("4");
    }

    @Override
    public String getDescription() {
        return "identities of existing keys";
    }

    @Override
    public Integer getChecksum() {
        return 3;
    }

    @Override
    public boolean canExecuteInTransaction() {
        return true;
    }

    @Override
    public void migrate(Context context) throws SQLException {
        Connection c = context.getConnection();
        Map<String, String[]> holders = new HashMap<>(); // identity -> {key id, organization id}
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, org_id, kind, kms_ref, cluster_id FROM byok_keys ORDER BY created_at, org_id, seq");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String id = rs.getString(1);
                String orgId = rs.getString(2);
                String identity = KeyIdentities.of(rs.getString(3), rs.getString(4));
                String[] holder = holders.putIfAbsent(identity, new String[] {id, orgId});
                if (holder == null) {
                    Sql.update(c, "INSERT INTO kms_key_identities (kms_identity, key_id, learned_from, created_at) VALUES (?, ?, ?, ?)",
                            identity, id, KeyStore.REFERENCE, now);
                    continue;
                }
                Sql.update(c, "UPDATE byok_keys SET duplicate_of = ? WHERE id = ?", holder[0], id);
                if (rs.getString(5) == null) {
                    // another organization's key id is not this organization's business
                    String who = holder[1].equals(orgId) ? "as key '" + holder[0] + "', which was registered first"
                            : "in another organization of this Keyhold server, first";
                    Sql.update(c, "UPDATE byok_keys SET validation_phase = 'INVALID', validation_since = ?, validation_message = ? "
                                    + "WHERE id = ?", now, "This KMS key is also registered " + who + ": each Kafka cluster needs its "
                                    + "own KMS key, so a KMS key can back only one key object. Delete this key object.", id);
                } else {
                    LOG.warn("key {} (used by cluster {}) names the same KMS key as the older key {}: the cluster keeps running, but "
                            + "the key can not encrypt another cluster", id, rs.getString(5), holder[0]);
                }
            }
        }
    }
}
