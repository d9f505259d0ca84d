package io.keyhold.server.internal.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.internal.auth.Authenticator;
import io.keyhold.server.internal.auth.Credentials;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.util.Json;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP layer shared by every API: HTTPS, request ids, failed-login limiting, authentication, rate
 * limiting, body size limit, metrics, and the byok/v1 error format for every failure (never a stack
 * trace in a response).
 */
public final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    static final String REQUEST_ID = "keyhold.request-id";
    private static final String TIMER = "keyhold.timer";

    private HttpApi() {
    }

    public static Javalin create(ServerConfig config, Authenticator auth, RateLimiter limiter, FailedLogins failedLogins,
                                 PrometheusMeterRegistry metrics, java.util.function.BooleanSupplier ready) {
        // Loaded before Jetty starts: a server given unusable certificate files does not start.
        ReloadingTls tls = config.tls() ? new ReloadingTls(config.tlsCertFile(), config.tlsKeyFile()) : null;
        Javalin app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.http.defaultContentType = "application/json";
            cfg.jsonMapper(new JavalinJackson(Json.MAPPER, false));
            cfg.jetty.defaultHost = config.bind();
            cfg.jetty.defaultPort = config.httpPort();
            if (tls != null) {
                // The only connector: with a certificate the API is not served over plain HTTP at all.
                cfg.jetty.addConnector((server, http) -> tls.connector(server, http, config.bind(), config.httpPort()));
            }
            QueuedThreadPool pool = new QueuedThreadPool(64, 4, 60_000);
            pool.setName("keyhold-http");
            cfg.jetty.threadPool = pool;
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonBadMessageHandler()));
        });

        app.before(ctx -> {
            ctx.attribute(TIMER, Timer.start(metrics));
            String id = UUID.randomUUID().toString();
            ctx.attribute(REQUEST_ID, id);
            ctx.header("X-Request-Id", id);
            ctx.attribute(RequestBodies.LIMIT, config.maxBodyBytes());
            // Probes (liveness, readiness) cannot send credentials: they need none and are never rate
            // limited. /readyz with credentials is an ordinary authenticated call and answers in detail.
            if (ctx.path().equals("/healthz") || ctx.path().equals("/readyz") && ctx.header("Authorization") == null) {
                return;
            }
            long length = ctx.contentLength();
            if (length > config.maxBodyBytes()) {
                throw ApiException.tooLarge(config.maxBodyBytes());
            }
            Principal p = login(ctx, auth, failedLogins);
            limit(ctx, limiter.acquire("key:" + p.apiKeyId()));
            ctx.attribute(ApiContext.PRINCIPAL, p);
        });

        app.after(ctx -> {
            Timer.Sample sample = ctx.attribute(TIMER);
            if (sample != null) {
                String route = ctx.endpointHandlerPath();
                sample.stop(metrics.timer("keyhold.http.requests", "method", ctx.method().name(),
                        "route", route == null || route.isEmpty() ? "unmatched" : route, "status", Integer.toString(ctx.statusCode())));
            }
        });

        app.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, fromJavalin(e.getStatus(), e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("request {} {} failed (request id {})", ctx.method(), ctx.path(), ctx.attribute(REQUEST_ID), e);
            error(ctx, ApiException.of(500, "internal_error", "Internal Server Error",
                    "The server failed to handle the request; quote request id " + ctx.attribute(REQUEST_ID) + " when reporting it"));
        });
        // Javalin's own 404/405 (no such route) end up here with an empty body.
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, ApiException.notFound("No such resource: " + ctx.method() + " " + abbreviate(ctx.path())));
            }
        });
        app.error(405, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                error(ctx, ApiException.of(405, "method_not_allowed", "Method Not Allowed", "Method " + ctx.method()
                        + " is not allowed on " + abbreviate(ctx.path())));
            }
        });

        app.get("/healthz", ctx -> {
            if (ready.getAsBoolean()) {
                ctx.json(Json.object().put("status", "ok"));
            } else {
                ctx.status(503).json(Json.object().put("status", "starting"));
            }
        });
        // GET /metrics is MetricsApi's and GET /readyz ReadinessApi's: they need the cluster store and the runtime.
        app.get("/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(openApi()));
        return app;
    }

    /**
     * Checks the credentials, but first the failed-login budgets of the client address and the key
     * id: over either, 429 without looking at the secret. Only wrong credentials count.
     */
    private static Principal login(Context ctx, Authenticator auth, FailedLogins failedLogins) {
        Credentials creds;
        try {
            creds = Credentials.parseBasic(ctx.header("Authorization"));
        } catch (ApiException e) {
            // No secret to guess: costs nothing, counts nothing.
            ctx.header("WWW-Authenticate", "Basic realm=\"keyhold\"");
            throw e;
        }
        FailedLogins.Attempt attempt = failedLogins.begin(ctx.ip(), creds.keyId());
        if (!attempt.allowed()) {
            ctx.header("Retry-After", Long.toString(attempt.decision().resetSeconds()));
            rateLimitHeaders(ctx, attempt.decision());
            throw ApiException.tooManyFailedLogins(attempt.decision().resetSeconds());
        }
        boolean failed = false;
        try {
            return auth.authenticate(creds);
        } catch (ApiException e) {
            failed = true;
            rateLimitHeaders(ctx, attempt.decision());
            ctx.header("WWW-Authenticate", "Basic realm=\"keyhold\"");
            throw e;
        } finally {
            if (!failed) {
                attempt.succeeded();
            }
        }
    }

    private static void rateLimitHeaders(Context ctx, RateLimiter.Decision d) {
        ctx.header("X-RateLimit-Limit", Integer.toString(d.limit()));
        ctx.header("X-RateLimit-Remaining", Integer.toString(d.remaining()));
        ctx.header("X-RateLimit-Reset", Long.toString(d.resetSeconds()));
    }

    private static void limit(Context ctx, RateLimiter.Decision d) {
        rateLimitHeaders(ctx, d);
        if (!d.allowed()) {
            ctx.header("Retry-After", Long.toString(d.resetSeconds()));
            throw ApiException.rateLimited(d.resetSeconds());
        }
    }

    private static ApiException fromJavalin(int status, String message) {
        return switch (status) {
            case 413 -> ApiException.of(413, "request_too_large", "Request Entity Too Large", "The request body is too large");
            case 404 -> ApiException.notFound("Not Found");
            case 405 -> ApiException.of(405, "method_not_allowed", "Method Not Allowed", "Method Not Allowed");
            default -> ApiException.of(status, status >= 500 ? "internal_error" : "bad_request",
                    status >= 500 ? "Internal Server Error" : "Bad Request", status >= 500 ? "The server failed to handle the request"
                            : "The request could not be handled");
        };
    }

    /** Writes one error in the byok/v1 format: {@code {"errors":[{id,status,code,title,detail,source}]}}. */
    static void error(Context ctx, ApiException e) {
        ObjectNode err = Json.object();
        String id = ctx.attribute(REQUEST_ID);
        err.put("id", id == null ? UUID.randomUUID().toString() : id);
        err.put("status", Integer.toString(e.status()));
        if (e.code() != null) {
            err.put("code", e.code());
        }
        err.put("title", e.title());
        err.put("detail", e.detail());
        if (e.parameter() != null) {
            err.putObject("source").put("parameter", e.parameter());
        } else if (e.pointer() != null) {
            err.putObject("source").put("pointer", e.pointer());
        }
        ObjectNode body = Json.object();
        body.putArray("errors").add(err);
        ctx.status(e.status()).contentType("application/json").result(body.toString());
    }

    private static String openApi() throws IOException {
        try (InputStream in = HttpApi.class.getResourceAsStream("/io/keyhold/server/openapi.yaml")) {
            if (in == null) {
                throw new IOException("openapi.yaml is missing from the server's resources");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }
}
