package io.keyhold.server.internal.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /service-quota/v1/applied-quotas}: the quotas Keyhold enforces, with their usage. */
public final class QuotasApi {
    private static final String PATH = "/service-quota/v1/applied-quotas";
    public static final String BYOK_KEYS = "byok.max_keys.per_org";

    private final ApiContext api;

    public QuotasApi(ApiContext api) {
        this.api = api;
    }

    public void register(Javalin app) {
        app.get(PATH, this::list);
        app.get(PATH + "/{id}", this::get);
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("list quotas");
        Paging.onlyParams(ctx, "applied-quota", Set.of("scope", "environment", "network", "kafka_cluster", "identity_provider",
                "certificate_authority", "id", "page_size", "page_token"));
        String scope = ApiContext.requiredQuery(ctx, "scope");
        if (!List.of("ORGANIZATION", "ENVIRONMENT", "NETWORK", "KAFKA_CLUSTER", "SERVICE_ACCOUNT", "USER_ACCOUNT",
                "IDENTITY_PROVIDER", "CERTIFICATE_AUTHORITY").contains(scope)) {
            throw ApiException.invalidFilter("scope", "Unknown quota scope '" + abbreviate(scope) + "'");
        }
        String id = ctx.queryParam("id");
        Paging paging = Paging.of(ctx);
        boolean match = "ORGANIZATION".equals(scope) && (id == null || BYOK_KEYS.equals(id));
        Map<String, String> filters = new LinkedHashMap<>();
        filters.put("scope", scope);
        if (id != null) {
            filters.put("id", id);
        }
        List<String> page = match && paging.offset() == 0 ? List.of(p.orgId()) : List.of();
        ctx.json(api.list("service-quota/v1", "AppliedQuotaList", paging, PATH, filters, match ? 1 : 0, page, this::byokKeys));
    }

    private void get(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("read quotas");
        if (!BYOK_KEYS.equals(ctx.pathParam("id"))) {
            throw ApiException.notFound("The quota was not found");
        }
        ctx.json(byokKeys(p.orgId()));
    }

    private ObjectNode byokKeys(String orgId) {
        long usage = api.sql().count("SELECT COUNT(*) FROM byok_keys WHERE org_id = ?", orgId);
        long created = api.sql().one("SELECT created_at FROM organizations WHERE id = ?", rs -> rs.getLong(1), orgId).orElse(0L);
        ObjectNode q = Json.object().put("api_version", "service-quota/v1").put("kind", "AppliedQuota").put("id", BYOK_KEYS);
        q.set("metadata", Json.meta(api.links().url(PATH + "/" + BYOK_KEYS), api.links().crn(orgId, "quota=" + BYOK_KEYS), created, created));
        q.put("display_name", "Max BYOK keys per organization");
        q.put("scope", "ORGANIZATION");
        q.put("applied_limit", api.config().maxKeysPerOrg());
        q.put("default_limit", 50);
        q.put("usage", usage);
        q.set("organization", Json.ref(orgId, api.links().url("/org/v2/organizations/" + orgId), api.links().orgCrn(orgId)));
        return q;
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
