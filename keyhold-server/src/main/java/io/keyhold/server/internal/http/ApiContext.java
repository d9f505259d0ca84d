package io.keyhold.server.internal.http;

import io.javalin.http.Context;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.db.Sql;
import java.time.Clock;

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
        return Body.parse(ctx.bodyAsBytes());
    }

    /** A query parameter that must be present and non-empty. */
    public static String requiredQuery(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            throw ApiException.parameterMissing(name);
        }
        return v;
    }
}
