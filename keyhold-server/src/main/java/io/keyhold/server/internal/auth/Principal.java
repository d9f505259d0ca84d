package io.keyhold.server.internal.auth;

import io.keyhold.server.internal.http.ApiException;
import java.util.Set;

/**
 * Who is calling: the API key, its owning service account and what it may do.
 *
 * @param apiKeyId          the API key used
 * @param serviceAccountId  the key's owner
 * @param orgId             the organization everything is scoped to
 * @param orgAdmin          holds OrganizationAdmin
 * @param readOnly          holds ReadOnly (reads everything)
 * @param adminEnvironments environments where the caller holds EnvironmentAdmin
 */
public record Principal(String apiKeyId, String serviceAccountId, String orgId, boolean orgAdmin, boolean readOnly,
                        Set<String> adminEnvironments) {

    public boolean canReadOrg() {
        return orgAdmin || readOnly || !adminEnvironments.isEmpty();
    }

    public boolean canManageKeys() {
        return orgAdmin || !adminEnvironments.isEmpty();
    }

    public boolean canReadEnvironment(String envId) {
        return orgAdmin || readOnly || adminEnvironments.contains(envId);
    }

    public boolean canManageEnvironment(String envId) {
        return orgAdmin || adminEnvironments.contains(envId);
    }

    public void requireOrgAdmin(String what) {
        if (!orgAdmin) {
            throw denied(what, "OrganizationAdmin");
        }
    }

    public void requireKeyManager(String what) {
        if (!canManageKeys()) {
            throw denied(what, "OrganizationAdmin' or 'EnvironmentAdmin");
        }
    }

    public void requireOrgReader(String what) {
        if (!canReadOrg()) {
            throw denied(what, "ReadOnly");
        }
    }

    public ApiException denied(String what, String role) {
        return ApiException.forbidden("The API key '" + apiKeyId + "' is not allowed to " + what
                + " without the '" + role + "' role.");
    }
}
