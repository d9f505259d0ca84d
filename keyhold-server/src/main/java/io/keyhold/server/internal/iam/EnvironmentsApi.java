package io.keyhold.server.internal.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.server.internal.auth.Authenticator;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Ids;
import io.keyhold.server.internal.util.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /org/v2/environments} (list, get, create, patch display_name, delete) and {@code /org/v2/organizations}. */
public final class EnvironmentsApi {
    private static final String PATH = "/org/v2/environments";
    private static final int MAX_NAME = 255;

    private final ApiContext api;
    private final Authenticator auth;

    record EnvRow(String id, String orgId, String displayName, long createdAt, long updatedAt) {
    }

    public EnvironmentsApi(ApiContext api, Authenticator auth) {
        this.api = api;
        this.auth = auth;
    }

    public void register(Javalin app) {
        ApiContext.crud(app, PATH, this::list, this::create, this::get, this::patch, this::delete);
        app.get("/org/v2/organizations", this::listOrgs);
        app.get("/org/v2/organizations/{id}", this::getOrg);
    }

    private List<EnvRow> rows(String where, Object... params) {
        return api.sql().query("SELECT id, org_id, display_name, created_at, updated_at FROM environments WHERE " + where,
                rs -> new EnvRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5)), params);
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("list environments");
        Paging.onlyParams(ctx, "environment", Set.of("page_size", "page_token"));
        Paging paging = Paging.of(ctx);
        // An EnvironmentAdmin sees only its own environments.
        List<EnvRow> visible = new ArrayList<>();
        for (EnvRow r : rows("org_id = ? ORDER BY created_at, id", p.orgId())) {
            if (p.canReadEnvironment(r.id())) {
                visible.add(r);
            }
        }
        ctx.json(api.list("org/v2", "EnvironmentList", paging, PATH, Map.of(), visible.size(), paging.page(visible), this::render));
    }

    private void get(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        EnvRow r = find(p, ctx.pathParam("id"));
        ctx.json(render(r));
    }

    private EnvRow find(Principal p, String id) {
        p.requireOrgReader("read environments");
        List<EnvRow> found = rows("id = ? AND org_id = ?", id, p.orgId());
        // An environment the caller may not read is not found, like one that does not exist.
        if (found.isEmpty() || !p.canReadEnvironment(id)) {
            throw ApiException.notFound("The environment '" + abbreviate(id) + "' was not found");
        }
        return found.get(0);
    }

    private void create(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgAdmin("create environments");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", Set.of("api_version", "kind", "id", "metadata", "display_name", "stream_governance_config"));
        String name = name(body);
        EnvRow r = create(p.orgId(), name);
        ctx.status(201).header("Location", api.links().url(PATH + "/" + r.id())).json(render(r));
    }

    /** Creates an environment; display names are unique in an organization. */
    public EnvRow create(String orgId, String name) {
        long now = api.now();
        String id = Ids.newId("env");
        boolean created = api.sql().tx(c -> {
            Sql.lockOrganization(c, orgId);
            boolean taken = Sql.one(c,
                    "SELECT id FROM environments WHERE org_id = ? AND display_name = ?", rs -> rs.getString(1), orgId, name).isPresent();
            if (taken) {
                return false;
            }
            Sql.update(c, "INSERT INTO environments (id, org_id, display_name, created_at, updated_at) "
                    + "VALUES (?, ?, ?, ?, ?)", id, orgId, name, now, now);
            return true;
        });
        if (!created) {
            throw ApiException.alreadyExists("An environment named '" + name + "' already exists");
        }
        return new EnvRow(id, orgId, name, now, now);
    }

    private static String name(Body body) {
        String name = body.requiredString("/display_name").trim();
        if (name.isEmpty() || name.length() > MAX_NAME) {
            throw ApiException.invalid("/display_name", "'/display_name' must be 1 to " + MAX_NAME + " characters");
        }
        return name;
    }

    private void patch(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        String id = ctx.pathParam("id");
        find(p, id);
        p.requireOrgAdmin("update environments");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", Set.of("api_version", "kind", "id", "metadata", "display_name", "stream_governance_config"));
        String name = name(body);
        if (!rows("org_id = ? AND display_name = ? AND id <> ?", p.orgId(), name, id).isEmpty()) {
            throw ApiException.alreadyExists("An environment named '" + name + "' already exists");
        }
        api.sql().update("UPDATE environments SET display_name = ?, updated_at = ? WHERE id = ?", name, api.now(), id);
        ctx.json(render(find(p, id)));
    }

    private void delete(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        String id = ctx.pathParam("id");
        find(p, id);
        p.requireOrgAdmin("delete environments");
        long clusters = api.sql().count("SELECT COUNT(*) FROM clusters WHERE environment_id = ?", id);
        if (clusters > 0) {
            throw ApiException.conflict("resource_in_use", "Environment Not Empty",
                    "The environment '" + id + "' still has " + clusters + " cluster(s); delete them first");
        }
        int bindings = api.sql().tx(c -> {
            int n = Sql.update(c, "DELETE FROM role_bindings WHERE environment_id = ?", id);
            Sql.update(c, "DELETE FROM environments WHERE id = ?", id);
            return n;
        });
        auth.invalidate();
        if (bindings > 0) {
            api.config().audit().record(io.keyhold.server.internal.audit.Audits.by(p,
                    io.keyhold.kms.audit.AuditEventType.ROLE_BINDING_DELETED).message(bindings + " role binding(s) on environment "
                    + id + ", deleted with it using API key " + p.apiKeyId()).build());
        }
        ctx.status(204);
    }

    ObjectNode render(EnvRow r) {
        ObjectNode out = Json.object().put("api_version", "org/v2").put("kind", "Environment").put("id", r.id());
        out.set("metadata", Json.meta(api.links().url(PATH + "/" + r.id()), api.links().crn(r.orgId(), "environment=" + r.id()),
                r.createdAt(), r.updatedAt()));
        out.put("display_name", r.displayName());
        return out;
    }

    private void listOrgs(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("list organizations");
        Paging.onlyParams(ctx, "organization", Set.of("page_size", "page_token"));
        Paging paging = Paging.of(ctx);
        List<String> page = paging.offset() == 0 ? List.of(p.orgId()) : List.of();
        ctx.json(api.list("org/v2", "OrganizationList", paging, "/org/v2/organizations", Map.of(), 1, page, this::org));
    }

    private void getOrg(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("read organizations");
        if (!ctx.pathParam("id").equals(p.orgId())) {
            throw ApiException.notFound("The organization was not found");
        }
        ctx.json(org(p.orgId()));
    }

    private ObjectNode org(String orgId) {
        record OrgRow(String name, long created, long updated) {
        }
        OrgRow r = api.sql().one("SELECT display_name, created_at, updated_at FROM organizations WHERE id = ?",
                rs -> new OrgRow(rs.getString(1), rs.getLong(2), rs.getLong(3)), orgId).orElseThrow();
        ObjectNode out = Json.object().put("api_version", "org/v2").put("kind", "Organization").put("id", orgId);
        out.set("metadata", Json.meta(api.links().url("/org/v2/organizations/" + orgId), api.links().orgCrn(orgId), r.created(), r.updated()));
        out.put("display_name", r.name());
        return out;
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
