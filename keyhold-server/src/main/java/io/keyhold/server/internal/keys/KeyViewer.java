package io.keyhold.server.internal.keys;

import io.keyhold.server.internal.auth.Principal;
import java.util.List;
import java.util.Set;

/**
 * Which of its organization's key objects a caller sees. OrganizationAdmin and ReadOnly see all of
 * them. An EnvironmentAdmin manages keys organization-wide, as the contract says, except a key that
 * a cluster of another environment claimed (in use, or in the release hold after that cluster was
 * deleted): that key belongs to the other environment meanwhile and is not found for it.
 *
 * @param environments the environments whose claimed keys the caller sees; null: every key
 */
public record KeyViewer(String orgId, Set<String> environments) {

    public static KeyViewer of(Principal p) {
        return new KeyViewer(p.orgId(), p.orgAdmin() || p.readOnly() ? null : Set.copyOf(p.adminEnvironments()));
    }

    public boolean sees(KeyRow r, long now) {
        return r.orgId().equals(orgId)
                && (environments == null || r.claimEnvId() == null || !r.inUse(now) || environments.contains(r.claimEnvId()));
    }

    /** The same rule as {@link #sees} as SQL over {@code byok_keys}, with its parameters added to {@code params}. */
    String where(List<Object> params, long now) {
        params.add(orgId);
        if (environments == null) {
            return "org_id = ?";
        }
        StringBuilder w = new StringBuilder("org_id = ? AND (claim_env_id IS NULL OR (cluster_id IS NULL AND (hold_until IS NULL OR hold_until <= ?))");
        params.add(now);
        if (!environments.isEmpty()) {
            w.append(" OR claim_env_id IN (").append(String.join(", ", java.util.Collections.nCopies(environments.size(), "?"))).append(")");
            params.addAll(environments.stream().sorted().toList());
        }
        return w.append(")").toString();
    }
}
