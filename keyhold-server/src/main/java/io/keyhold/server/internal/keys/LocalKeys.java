package io.keyhold.server.internal.keys;

import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.local.LocalKeyScope;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsException;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.ApiException;

/**
 * The server's one local KMS store as each organization sees it: a {@link LocalKeyScope} named by
 * the organization's id. Keys created before scopes existed have no organization in their name;
 * they belong to the organization recorded as their owner (the first one bootstrapped; see the V2
 * migration), so that upgrading changes nothing for it.
 */
public final class LocalKeys {
    private static final String UNSCOPED_OWNER = "local-kms.unscoped-owner";

    private final KmsRegistry kms;
    private final Sql sql;
    /** Cached once known: the owner never changes once recorded. */
    private volatile String unscopedOwner;

    public LocalKeys(KmsRegistry kms, Sql sql) {
        this.kms = kms;
        this.sql = sql;
    }

    /** Records {@code orgId} as the owner of the unscoped keys, unless an owner is already recorded (first start). */
    public void adoptUnscopedKeys(String orgId) {
        sql.update("INSERT INTO server_settings (setting_name, setting_value) SELECT ?, ? FROM organizations WHERE id = ? "
                + "AND NOT EXISTS (SELECT 1 FROM server_settings WHERE setting_name = ?)", UNSCOPED_OWNER, orgId, orgId, UNSCOPED_OWNER);
    }

    private boolean ownsUnscoped(String orgId) {
        String owner = unscopedOwner;
        if (owner == null) {
            owner = sql.one("SELECT setting_value FROM server_settings WHERE setting_name = ?", rs -> rs.getString(1), UNSCOPED_OWNER)
                    .orElse(null);
            unscopedOwner = owner;
        }
        return orgId.equals(owner);
    }

    /** The organization's part of the store; 503 when the local KMS can not be opened. */
    public LocalKeyScope scope(String orgId) {
        return new LocalKeyScope(store(), orgId, ownsUnscoped(orgId));
    }

    /**
     * The store name a {@code LocalKey} of {@code orgId} naming {@code name} is used through. When the
     * store can not be opened now, the scoped name (validation will say what is wrong).
     */
    String reference(String orgId, String name) {
        try {
            return scope(orgId).storeName(name).orElse(LocalKeyScope.scopedName(orgId, name));
        } catch (ApiException | LocalKmsException e) {
            return LocalKeyScope.scopedName(orgId, name);
        }
    }

    private LocalKms store() {
        try {
            return kms.unwrapped(LocalKms.KIND, LocalKms.class);
        } catch (IllegalArgumentException | LocalKmsException e) {
            throw ApiException.of(503, "kms_unavailable", "Local KMS Unavailable", "The local KMS could not be opened: " + e.getMessage());
        }
    }
}
