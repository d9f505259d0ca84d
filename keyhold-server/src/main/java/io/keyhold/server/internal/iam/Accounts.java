package io.keyhold.server.internal.iam;

import io.keyhold.server.internal.auth.Role;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.Ids;
import java.sql.Connection;
import java.sql.SQLException;

/** Writes identities: organizations, service accounts, API keys, role bindings. Shared by the API and bootstrap. */
public final class Accounts {
    private Accounts() {
    }

    public static void insertOrganization(Connection c, String id, String name, long now) throws SQLException {
        Sql.update(c, "INSERT INTO organizations (id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)", id, name, now, now);
    }

    public static String insertEnvironment(Connection c, String orgId, String name, long now) throws SQLException {
        String id = Ids.newId("env");
        Sql.update(c, "INSERT INTO environments (id, org_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                id, orgId, name, now, now);
        return id;
    }

    public static String insertServiceAccount(Connection c, String orgId, String name, String description, long now)
            throws SQLException {
        String id = Ids.newId("sa");
        Sql.update(c, "INSERT INTO service_accounts (id, org_id, display_name, description, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)", id, orgId, name, description, now, now);
        return id;
    }

    /**
     * Stores an API key with the hash of its secret ({@code Authenticator.hashSecret}); the secret itself is never stored.
     * (Named for the hash so that a caller written for the old {@code insertApiKey(..., secret, ...)} does not compile.)
     */
    public static void insertHashedApiKey(Connection c, String id, String orgId, String ownerId, String name, String description,
                                    String secretHash, long now) throws SQLException {
        Sql.update(c, "INSERT INTO api_keys (id, org_id, owner_id, display_name, description, secret_hash, created_at, updated_at) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, orgId, ownerId, name, description, secretHash, now, now);
    }

    public static String insertRoleBinding(Connection c, String orgId, String principalId, Role role, String environmentId,
                                           long now) throws SQLException {
        String id = Ids.newId("rb");
        Sql.update(c, "INSERT INTO role_bindings (id, org_id, principal_id, role_name, environment_id, created_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)", id, orgId, principalId, role.name(), environmentId, now);
        return id;
    }
}
