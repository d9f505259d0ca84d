package io.keyhold.server.support;

import io.keyhold.server.internal.auth.Role;
import io.keyhold.server.internal.db.Database;
import io.keyhold.server.internal.iam.Accounts;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import org.flywaydb.core.Flyway;

/**
 * The embedded database as an earlier version left it: only the first schema migration applied, and
 * a bootstrap OrganizationAdmin key whose secret is stored the old way (PBKDF2, {@link LegacyHashes}).
 */
public final class LegacyDatabase {
    private LegacyDatabase() {
    }

    /** Creates it under {@code dataDir}; returns the organization id. */
    public static String create(Path dataDir, String bootstrapKeyId) throws SQLException {
        String url = Database.embeddedUrl(dataDir);
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration").target("1").load().migrate();
        String org = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        try (Connection c = DriverManager.getConnection(url)) {
            Accounts.insertOrganization(c, org, "Keyhold", now);
            Accounts.insertEnvironment(c, org, "default", now);
            String sa = Accounts.insertServiceAccount(c, org, "bootstrap-admin", "Created on first start; OrganizationAdmin", now);
            Accounts.insertRoleBinding(c, org, sa, Role.OrganizationAdmin, null, now);
            Accounts.insertHashedApiKey(c, bootstrapKeyId, org, sa, "bootstrap", "OrganizationAdmin key created on first start",
                    LegacyHashes.BOOTSTRAP_HASH, now);
        }
        return org;
    }

    /** What {@code api_keys.secret_hash} holds for the key now (the server may be running: same JVM, same database). */
    public static String storedHash(Path dataDir, String keyId) throws SQLException {
        try (Connection c = DriverManager.getConnection(Database.embeddedUrl(dataDir));
             PreparedStatement ps = c.prepareStatement("SELECT secret_hash FROM api_keys WHERE id = ?")) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
