package io.keyhold.server.internal.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.auth.Principal;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code GET /metrics}: the server's own meters (HTTP requests, JVM) followed by the data plane's
 * metrics of the caller's organization's clusters, all in the Prometheus text format 0.0.4.
 *
 * <p>Who may scrape: the organization-wide roles, OrganizationAdmin and ReadOnly (a scraper should
 * get a ReadOnly key: scraping changes nothing). An EnvironmentAdmin is refused, because the
 * process-wide meters are not scoped to one environment. Cluster metrics never cross organizations.
 */
public final class MetricsApi {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final ClusterRuntime runtime;
    private final Function<String, Set<String>> clustersOfOrganization;

    public MetricsApi(PrometheusMeterRegistry registry, ClusterRuntime runtime, Function<String, Set<String>> clustersOfOrganization) {
        this.registry = registry;
        this.runtime = runtime;
        this.clustersOfOrganization = clustersOfOrganization;
    }

    public void register(Javalin app) {
        app.get("/metrics", this::scrape);
    }

    private void scrape(Context ctx) throws IOException {
        Principal p = ApiContext.principal(ctx);
        if (!p.orgAdmin() && !p.readOnly()) {
            throw p.denied("read metrics", "OrganizationAdmin' or 'ReadOnly");
        }
        StringBuilder out = new StringBuilder(registry.scrape());
        Set<String> clusters = clustersOfOrganization.apply(p.orgId());
        if (!clusters.isEmpty()) {
            runtime.writeMetrics(out, clusters::contains);
        }
        ctx.contentType(CONTENT_TYPE).result(out.toString());
    }
}
