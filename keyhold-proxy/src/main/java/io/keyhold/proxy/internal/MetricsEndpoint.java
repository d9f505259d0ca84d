package io.keyhold.proxy.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyhold.common.tls.PemKeyStore;
import io.keyhold.proxy.PrometheusExporter;
import io.keyhold.proxy.ProxyConfig.HostPort;
import io.keyhold.proxy.ProxyMetrics;
import io.keyhold.proxy.TlsSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone proxy's {@code GET /metrics}: the JDK's HTTP server on exactly the configured
 * address, Prometheus text for every cluster of the process, and only for callers that send
 * {@code Authorization: Bearer <token>}. Errors are JSON in the byok/v1 error format.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PATH = "/metrics";

    private final HttpServer server;
    private final ExecutorService threads;
    private final byte[] tokenDigest;
    private final List<ProxyMetrics> proxies;

    private MetricsEndpoint(HttpServer server, ExecutorService threads, String token, Collection<ProxyMetrics> proxies) {
        this.server = server;
        this.threads = threads;
        this.tokenDigest = sha256(token);
        this.proxies = List.copyOf(proxies);
    }

    /**
     * Binds {@code listen} and serves until {@link #close()}. {@code tls} null means plain HTTP.
     *
     * @throws IOException when the address cannot be bound
     */
    public static MetricsEndpoint start(HostPort listen, String token, TlsSettings tls, Collection<ProxyMetrics> proxies)
            throws IOException {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("the metrics endpoint needs a token");
        }
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(listen.host()), listen.port());
        HttpServer server;
        if (tls == null) {
            server = HttpServer.create(address, 16);
        } else {
            HttpsServer https = HttpsServer.create(address, 16);
            https.setHttpsConfigurator(new HttpsConfigurator(sslContext(tls)));
            server = https;
        }
        // Two threads: a scrape is a few hundred bytes of counters, but one slow client must not
        // hold up the next scraper.
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "keyhold-metrics-http");
            t.setDaemon(true);
            return t;
        });
        MetricsEndpoint endpoint = new MetricsEndpoint(server, threads, token, proxies);
        server.setExecutor(threads);
        server.createContext("/", endpoint::handle);
        server.start();
        if (!address.getAddress().isLoopbackAddress() && tls == null) {
            LOG.warn("metrics endpoint on {} is plain HTTP on a non-loopback address: the bearer token crosses the network"
                    + " in clear; configure metrics.tls", listen);
        }
        return endpoint;
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String requestId = UUID.randomUUID().toString();
            ex.getResponseHeaders().set("X-Request-Id", requestId);
            // Authentication comes first, for every path and method: an anonymous caller learns nothing.
            if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"keyhold-proxy\"");
                error(ex, requestId, 401, "user_unauthenticated", "Authentication Required",
                        "Valid authentication credentials must be provided: Authorization: Bearer <token>");
                return;
            }
            if (!PATH.equals(ex.getRequestURI().getPath())) {
                error(ex, requestId, 404, "not_found", "Not Found", "Only GET " + PATH + " is served here");
                return;
            }
            if (!"GET".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "GET");
                error(ex, requestId, 405, "method_not_allowed", "Method Not Allowed", "Only GET " + PATH + " is served here");
                return;
            }
            StringBuilder text = new StringBuilder(4096);
            PrometheusExporter.write(proxies, text);
            send(ex, 200, PrometheusExporter.CONTENT_TYPE, text.toString().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.error("metrics request failed", e);
            throw e;
        } finally {
            ex.close();
        }
    }

    /** Compares digests of the presented and the expected token, in constant time and independent of their lengths. */
    private boolean authorized(String header) {
        if (header == null || header.length() < 7 || !header.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(sha256(header.substring(7)), tokenDigest);
    }

    private static void error(HttpExchange ex, String requestId, int status, String code, String title, String detail)
            throws IOException {
        ObjectNode err = JSON.createObjectNode().put("id", requestId).put("status", Integer.toString(status)).put("code", code)
                .put("title", title).put("detail", detail);
        ObjectNode body = JSON.createObjectNode();
        body.putArray("errors").add(err);
        send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static SSLContext sslContext(TlsSettings tls) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(PemKeyStore.keyManagers(tls.certificateChain(), tls.privateKey()).getKeyManagers(), null, null);
            return ctx;
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load the metrics endpoint's TLS certificate or key: " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Stops listening at once; a scrape in progress is cut off (the scraper retries next interval). */
    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
