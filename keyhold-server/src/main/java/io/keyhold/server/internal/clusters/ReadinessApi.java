package io.keyhold.server.internal.clusters;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.util.Json;
import java.util.Locale;

/**
 * {@code GET /readyz}, for load balancers and Kubernetes readiness probes: 200 when the server is
 * ready ({@link ReadinessCheck}), 503 when not. Probes cannot send credentials, so without any the
 * answer is the status alone; a caller with a valid API key also learns what is not ready, for the
 * clusters it may read (cluster ids and names are its organization's business, nobody else's).
 */
public final class ReadinessApi {
    private final ReadinessCheck readiness;

    public ReadinessApi(ReadinessCheck readiness) {
        this.readiness = readiness;
    }

    public void register(Javalin app) {
        app.get("/readyz", this::answer);
    }

    private void answer(Context ctx) {
        ReadinessCheck.Report report = readiness.check();
        String status = !report.started() ? "starting" : report.ready() ? "ready" : "not_ready";
        ObjectNode body = Json.object().put("status", status);
        Principal caller = ctx.attribute(ApiContext.PRINCIPAL); // null: no credentials sent (the auth filter let it through)
        if (caller != null && report.started()) {
            body.put("database", report.database().name().toLowerCase(Locale.ROOT));
            ObjectNode clusters = body.putObject("clusters");
            ArrayNode notServing = Json.MAPPER.createArrayNode();
            int provisioned = 0;
            for (ReadinessCheck.Cluster c : report.clusters()) {
                ClusterRow row = c.row();
                if (!row.orgId().equals(caller.orgId()) || !caller.canReadEnvironment(row.environmentId())) {
                    continue;
                }
                provisioned++;
                if (!c.serving()) {
                    notServing.add(Json.object().put("id", row.id()).put("display_name", row.displayName())
                            .put("environment", row.environmentId()));
                }
            }
            clusters.put("provisioned", provisioned);
            clusters.put("serving", provisioned - notServing.size());
            clusters.set("not_serving", notServing);
        }
        ctx.status(report.ready() ? 200 : 503).json(body);
    }
}
