package io.keyhold.server.internal.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.server.internal.audit.Audits;
import io.keyhold.server.internal.auth.Authenticator;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.auth.Role;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Json;
import java.util.List;
import java.util.Set;

/**
 * {@code /iam/v2/service-accounts} and {@code /iam/v2/role-bindings}. A role binding names a
 * principal ({@code User:sa-...}), a role and a CRN pattern: the organization's CRN for
 * organization-wide roles, {@code .../environment=env-...} for EnvironmentAdmin.
 */
public final class ServiceAccountsApi {
    private static final String SA = "/iam/v2/service-accounts";
    private static final String RB = "/iam/v2/role-bindings";

    private final ApiContext api;
    private final Authenticator auth;

    record SaRow(String id, String orgId, String name, String description, long createdAt, long updatedAt) {
    }

    record RbRow(String id, String orgId, String principal, String role, String env, long createdAt) {
    }

    public ServiceAccountsApi(ApiContext api, Authenticator auth) {
        this.api = api;
        this.auth = auth;
    }

    public void register(Javalin app) {
        app.get(SA, this::listAccounts);
        app.post(SA, this::createAccount);
        app.get(SA + "/{id}", ctx -> ctx.json(render(findAccount(admin(ctx, "read service accounts"), ctx.pathParam("id")))));
        app.delete(SA + "/{id}", this::deleteAccount);
        app.get(RB, this::listBindings);
        app.post(RB, this::createBinding);
        app.get(RB + "/{id}", ctx -> ctx.json(render(findBinding(admin(ctx, "read role bindings"), ctx.pathParam("id")))));
        app.delete(RB + "/{id}", this::deleteBinding);
    }

    private static Principal admin(Context ctx, String what) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgAdmin(what);
        return p;
    }

    private List<SaRow> accounts(String where, Object... params) {
        return api.sql().query("SELECT id, org_id, display_name, description, created_at, updated_at FROM service_accounts WHERE " + where,
                rs -> new SaRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5), rs.getLong(6)), params);
    }

    private List<RbRow> bindings(String where, Object... params) {
        return api.sql().query("SELECT id, org_id, principal_id, role_name, environment_id, created_at FROM role_bindings WHERE " + where,
                rs -> new RbRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getLong(6)), params);
    }

    private SaRow findAccount(Principal p, String id) {
        return accounts("id = ? AND org_id = ?", id, p.orgId()).stream().findFirst()
                .orElseThrow(() -> ApiException.notFound("The service account was not found"));
    }

    private RbRow findBinding(Principal p, String id) {
        return bindings("id = ? AND org_id = ?", id, p.orgId()).stream().findFirst()
                .orElseThrow(() -> ApiException.notFound("The role binding was not found"));
    }

    private void listAccounts(Context ctx) {
        Principal p = admin(ctx, "list service accounts");
        Paging.onlyParams(ctx, "service-account", Set.of("display_name", "page_size", "page_token"));
        Paging paging = Paging.of(ctx);
        // display_name: exact match, may be given several times (any of them), as in the published iam/v2 file
        List<String> names = ctx.queryParams("display_name");
        OrgQuery query = new OrgQuery(p.orgId());
        if (!names.isEmpty()) {
            query.and("display_name", names.get(0),
                    "display_name IN (" + String.join(", ", java.util.Collections.nCopies(names.size(), "?")) + ")", names.toArray());
        }
        long total = query.count(api.sql(), "service_accounts");
        List<SaRow> page = query.page(paging, this::accounts);
        ctx.json(api.list("iam/v2", "ServiceAccountList", paging, SA, query.filters(), total, page, this::render));
    }

    private void createAccount(Context ctx) {
        Principal p = admin(ctx, "create service accounts");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", Set.of("api_version", "kind", "id", "metadata", "display_name", "description"));
        String name = body.requiredString("/display_name").trim();
        if (name.isEmpty() || name.length() > 255) {
            throw ApiException.invalid("/display_name", "'/display_name' must be 1 to 255 characters");
        }
        String description = body.optionalString("/description");
        String desc = description == null ? "" : description;
        if (desc.length() > 1024) {
            throw ApiException.invalid("/description", "'/description' must be at most 1024 characters");
        }
        if (!accounts("org_id = ? AND display_name = ?", p.orgId(), name).isEmpty()) {
            throw ApiException.alreadyExists("A service account named '" + name + "' already exists");
        }
        long now = api.now();
        String id = api.sql().tx(c -> Accounts.insertServiceAccount(c, p.orgId(), name, desc, now));
        ctx.status(201).header("Location", api.links().url(SA + "/" + id)).json(render(findAccount(p, id)));
    }

    private void deleteAccount(Context ctx) {
        Principal p = admin(ctx, "delete service accounts");
        String id = ctx.pathParam("id");
        findAccount(p, id);
        if (id.equals(p.serviceAccountId())) {
            throw ApiException.conflict("resource_in_use", "Service Account In Use", "A service account can not delete itself");
        }
        int[] gone = api.sql().tx(c -> new int[] {
            Sql.update(c, "DELETE FROM role_bindings WHERE principal_id = ?", id),
            Sql.update(c, "DELETE FROM api_keys WHERE owner_id = ?", id),
            Sql.update(c, "DELETE FROM service_accounts WHERE id = ?", id)});
        auth.invalidate();
        // The account's bindings and API keys go with it: the trail says so, as if each was deleted.
        if (gone[0] > 0) {
            api.config().audit().record(Audits.by(p, AuditEventType.ROLE_BINDING_DELETED).message(gone[0]
                    + " role binding(s) of service account " + id + ", deleted with it using API key " + p.apiKeyId()).build());
        }
        if (gone[1] > 0) {
            api.config().audit().record(Audits.by(p, AuditEventType.API_KEY_DELETED).message(gone[1]
                    + " API key(s) of service account " + id + ", deleted with it using API key " + p.apiKeyId()).build());
        }
        ctx.status(204);
    }

    private void listBindings(Context ctx) {
        Principal p = admin(ctx, "list role bindings");
        Paging.onlyParams(ctx, "role-binding", Set.of("principal", "role_name", "page_size", "page_token"));
        Paging paging = Paging.of(ctx);
        OrgQuery query = new OrgQuery(p.orgId());
        String principal = ctx.queryParam("principal");
        if (principal != null) {
            query.and("principal", principal, "principal_id = ?", principal.startsWith("User:") ? principal.substring(5) : principal);
        }
        String role = ctx.queryParam("role_name");
        if (role != null) {
            query.and("role_name", role, "role_name = ?", role);
        }
        long total = query.count(api.sql(), "role_bindings");
        List<RbRow> page = query.page(paging, this::bindings);
        ctx.json(api.list("iam/v2", "RoleBindingList", paging, RB, query.filters(), total, page, this::render));
    }

    private void createBinding(Context ctx) {
        Principal p = admin(ctx, "create role bindings");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", Set.of("api_version", "kind", "id", "metadata", "principal", "role_name", "crn_pattern"));
        String principal = body.requiredString("/principal");
        String saId = principal.startsWith("User:") ? principal.substring(5) : "";
        if (accounts("id = ? AND org_id = ?", saId, p.orgId()).isEmpty()) {
            throw ApiException.invalid("/principal", "'/principal' must name a service account of this organization as User:sa-...");
        }
        String roleName = body.requiredString("/role_name");
        Role role = Role.parse(roleName).orElseThrow(() -> ApiException.invalid("/role_name",
                "Unknown role '" + abbreviate(roleName) + "'; expected OrganizationAdmin, EnvironmentAdmin or ReadOnly"));
        String crn = body.requiredString("/crn_pattern");
        String orgCrn = api.links().orgCrn(p.orgId());
        String env = null;
        if (crn.startsWith(orgCrn + "/environment=")) {
            env = crn.substring((orgCrn + "/environment=").length());
            long found = api.sql().count("SELECT COUNT(*) FROM environments WHERE id = ? AND org_id = ?", env, p.orgId());
            if (found == 0) {
                throw ApiException.invalid("/crn_pattern", "The environment '" + abbreviate(env) + "' was not found");
            }
        } else if (!crn.equals(orgCrn)) {
            throw ApiException.invalid("/crn_pattern", "'/crn_pattern' must be " + orgCrn + " or " + orgCrn + "/environment=<env-id>");
        }
        if (role.scopedToEnvironment() != (env != null)) {
            throw ApiException.invalid("/crn_pattern", role.scopedToEnvironment()
                    ? role + " is bound to one environment: use " + orgCrn + "/environment=<env-id>"
                    : role + " is bound to the organization: use " + orgCrn);
        }
        String envId = env;
        long now = api.now();
        String id = api.sql().tx(c -> Accounts.insertRoleBinding(c, p.orgId(), saId, role, envId, now));
        auth.invalidate();
        api.config().audit().record(Audits.by(p, AuditEventType.ROLE_BINDING_CREATED).message("role binding " + id + ": " + role
                + " for " + saId + " on " + crn + ", created with API key " + p.apiKeyId()).build());
        ctx.status(201).header("Location", api.links().url(RB + "/" + id)).json(render(findBinding(p, id)));
    }

    private void deleteBinding(Context ctx) {
        Principal p = admin(ctx, "delete role bindings");
        String id = ctx.pathParam("id");
        findBinding(p, id);
        api.sql().update("DELETE FROM role_bindings WHERE id = ?", id);
        auth.invalidate();
        api.config().audit().record(Audits.by(p, AuditEventType.ROLE_BINDING_DELETED).message("role binding " + id
                + ", deleted with API key " + p.apiKeyId()).build());
        ctx.status(204);
    }

    private ObjectNode render(SaRow r) {
        ObjectNode out = Json.object().put("api_version", "iam/v2").put("kind", "ServiceAccount").put("id", r.id());
        out.set("metadata", Json.meta(api.links().url(SA + "/" + r.id()), api.links().crn(r.orgId(), "service-account=" + r.id()),
                r.createdAt(), r.updatedAt()));
        out.put("display_name", r.name());
        out.put("description", r.description());
        return out;
    }

    private ObjectNode render(RbRow r) {
        ObjectNode out = Json.object().put("api_version", "iam/v2").put("kind", "RoleBinding").put("id", r.id());
        out.set("metadata", Json.meta(api.links().url(RB + "/" + r.id()), api.links().crn(r.orgId(), "role-binding=" + r.id()),
                r.createdAt(), r.createdAt()));
        out.put("principal", "User:" + r.principal());
        out.put("role_name", r.role());
        String orgCrn = api.links().orgCrn(r.orgId());
        out.put("crn_pattern", r.env() == null ? orgCrn : orgCrn + "/environment=" + r.env());
        return out;
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
