package io.keyhold.server.internal.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Json;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /audit/v1/events}, a Keyhold extension: the organization's audit trail, newest first,
 * paged like every list. Read-only by design (no other method is routed): the trail is
 * append-only from the API's point of view. OrganizationAdmin and ReadOnly may read it; an
 * EnvironmentAdmin may not (the trail spans every environment).
 */
public final class AuditApi {
    static final String PATH = "/audit/v1/events";
    private static final List<String> FILTERS = List.of("key", "cluster", "event_type", "principal", "since", "until");
    private static final Set<String> PARAMS = Set.of("key", "cluster", "event_type", "principal", "since", "until", "page_size",
            "page_token");
    private static final int MAX_FILTER = 2048;

    private final ApiContext api;
    private final AuditQuery query;

    public AuditApi(ApiContext api, AuditQuery query) {
        this.api = api;
        this.query = query;
    }

    public void register(Javalin app) {
        app.get(PATH, this::list);
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        if (!p.orgAdmin() && !p.readOnly()) {
            throw p.denied("read the audit trail", "OrganizationAdmin' or 'ReadOnly");
        }
        Paging.onlyParams(ctx, "event", PARAMS);
        Map<String, String> filters = new LinkedHashMap<>();
        for (String name : FILTERS) {
            String v = ctx.queryParam(name);
            if (v != null) {
                if (v.isEmpty() || v.length() > MAX_FILTER) {
                    throw ApiException.invalidFilter(name, "The filter '" + name + "' must be 1 to " + MAX_FILTER + " characters");
                }
                filters.put(name, v);
            }
        }
        String type = filters.get("event_type");
        if (type != null && Arrays.stream(AuditEventType.values()).noneMatch(t -> t.name().equals(type))) {
            throw ApiException.invalidFilter("event_type", "Invalid value for filter 'event_type'; expected one of "
                    + String.join(", ", Arrays.stream(AuditEventType.values()).map(Enum::name).toList()));
        }
        Long since = time(filters, "since");
        Long until = time(filters, "until");
        if (since != null && until != null && since >= until) {
            throw ApiException.invalidFilter("until", "The filter 'until' must be later than 'since'");
        }
        Paging paging = Paging.of(ctx);
        AuditQuery.Filter f = new AuditQuery.Filter(filters.get("key"), filters.get("cluster"), type, filters.get("principal"),
                since, until);
        long total = query.count(p.orgId(), f);
        List<AuditQuery.Row> rows = query.list(p.orgId(), f, paging.offset(), paging.size());
        ctx.json(api.list("audit/v1", "AuditEventList", paging, PATH, filters, total, rows, AuditApi::render));
    }

    private static Long time(Map<String, String> filters, String name) {
        String v = filters.get(name);
        if (v == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(v).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw ApiException.invalidFilter(name, "The filter '" + name + "' must be an RFC 3339 time such as 2026-01-31T23:59:00Z");
        }
    }

    static ObjectNode render(AuditQuery.Row r) {
        ObjectNode out = Json.object().put("api_version", "audit/v1").put("kind", "AuditEvent").put("id", Long.toString(r.id()));
        out.put("time", Json.time(Instant.ofEpochMilli(r.time())));
        out.put("event_type", r.type());
        out.put("principal", r.principal());
        out.put("cluster", r.cluster());
        out.put("key", r.keyId());
        out.put("kms_key", r.kmsKey());
        out.put("provider", r.provider());
        out.put("key_version", r.keyVersion());
        out.put("operation", r.operation());
        out.put("outcome", r.outcome());
        if (r.latencyMillis() >= 0) {
            out.put("latency_ms", r.latencyMillis());
        } else {
            out.putNull("latency_ms");
        }
        out.put("process", r.process());
        out.put("message", r.message());
        return out;
    }
}
