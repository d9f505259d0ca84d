package io.keyhold.server.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.Json;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What every API handler shares: configuration, database, clock and URL building. */
public record ApiContext(ServerConfig config, Sql sql, Clock clock, Links links) {
    public static final String PRINCIPAL = "keyhold.principal";

    public long now() {
        return clock.millis();
    }

    /** The authenticated caller; the auth filter has run before every handler that calls this. */
    public static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) {
            throw ApiException.unauthenticated("Valid authentication credentials must be provided");
        }
        return p;
    }

    public static Body body(Context ctx) {
        return Body.parse(RequestBodies.read(ctx));
    }

    /** A query parameter that must be present and non-empty. */
    public static String requiredQuery(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            throw ApiException.parameterMissing(name);
        }
        return v;
    }

    /**
     * The five routes of a resource collection: list and create on {@code path}; get, patch and
     * delete on {@code path/{id}}.
     */
    public static void crud(Javalin app, String path, Handler list, Handler create, Handler get, Handler patch, Handler delete) {
        app.get(path, list);
        app.post(path, create);
        app.get(path + "/{id}", get);
        app.patch(path + "/{id}", patch);
        app.delete(path + "/{id}", delete);
    }

    /**
     * A list response: {@code api_version}, {@code kind}, the paging {@code metadata} (links to
     * {@code path} keeping {@code filters}) and {@code data}, one rendered item per row of the page.
     */
    public <T> ObjectNode list(String apiVersion, String kind, Paging paging, String path, Map<String, String> filters, long total,
            List<T> page, Function<? super T, ? extends JsonNode> render) {
        ObjectNode out = Json.object().put("api_version", apiVersion).put("kind", kind);
        out.set("metadata", paging.metadata(links.baseUrl(), path, filters, total));
        var data = out.putArray("data");
        page.forEach(r -> data.add(render.apply(r)));
        return out;
    }
}
