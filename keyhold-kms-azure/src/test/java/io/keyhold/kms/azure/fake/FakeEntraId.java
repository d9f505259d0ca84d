package io.keyhold.kms.azure.fake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyhold.kms.testkit.TestCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Entra ID's token endpoint on the wire, HTTPS on 127.0.0.1: {@code POST /<tenant>/oauth2/v2.0/token}
 * with the client-credentials grant (a client secret), as MSAL sends it for azure-identity. An
 * application is registered with its secret and the tenants it has a service principal in (a
 * multi-tenant application consented to by each customer); a token is an opaque random string the
 * vault fakes look up here, for one tenant and one audience (the scope without {@code /.default}).
 * Errors are Entra's OAuth error bodies with AADSTS codes.
 */
public final class FakeEntraId implements AutoCloseable {
    private static final Pattern TOKEN_PATH = Pattern.compile("/([0-9a-fA-F-]{36}|organizations|common)/oauth2/v2\\.0/token");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token this endpoint issued. */
    public record Issued(String tenant, String clientId, String audience, Instant expires) {
    }

    private record App(String secret, Set<String> tenants) {
    }

    private final Map<String, App> apps = new ConcurrentHashMap<>();
    private final Map<String, Issued> tokens = new ConcurrentHashMap<>();
    private final List<String> tenantsAsked = new CopyOnWriteArrayList<>();
    private final ExecutorService threads;
    private final HttpsServer server;
    private volatile boolean failing;

    private FakeEntraId(TestCa pki) throws IOException {
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-entra-id");
            t.setDaemon(true);
            return t;
        });
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 32);
        server.setHttpsConfigurator(new HttpsConfigurator(pki.serverContext()));
        server.setExecutor(threads);
        server.createContext("/", x -> {
            try {
                exchange(x);
            } catch (IOException | RuntimeException e) {
                e.printStackTrace(); // a fake's own bug: show it, the client sees the connection close
                throw e;
            }
        });
        server.start();
    }

    public static FakeEntraId start(TestCa pki) {
        try {
            return new FakeEntraId(pki);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code AZURE_AUTHORITY_HOST} is set to. */
    public URI authorityHost() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Registers an application with a client secret and the tenants it may get tokens in. */
    public void register(String clientId, String secret, String... tenants) {
        apps.put(clientId, new App(secret, Set.copyOf(java.util.Arrays.asList(tenants))));
    }

    /** The token's grant, or null for a token this endpoint never issued or that has expired. */
    public Issued verify(String token) {
        Issued i = token == null ? null : tokens.get(token);
        return i == null || i.expires().isBefore(Instant.now()) ? null : i;
    }

    /** The tenants tokens were asked for, in order. */
    public List<String> tenantsAsked() {
        return List.copyOf(tenantsAsked);
    }

    /** Answers every token request with HTTP 503 while true. */
    public void failing(boolean on) {
        failing = on;
    }

    private void exchange(HttpExchange x) throws IOException {
        try (x) {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = TOKEN_PATH.matcher(x.getRequestURI().getPath());
            if (failing) {
                send(x, 503, "{\"error\":\"temporarily_unavailable\",\"error_description\":\"AADSTS90033: A transient error has occurred.\"}");
                return;
            }
            if (!x.getRequestMethod().equals("POST") || !m.matches()) {
                send(x, 404, "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS900561: The endpoint only accepts POST requests.\"}");
                return;
            }
            String correlation = x.getRequestHeaders().getFirst("client-request-id");
            if (correlation != null) {
                x.getResponseHeaders().set("client-request-id", correlation); // as Entra ID echoes it
            }
            String tenant = m.group(1).toLowerCase(java.util.Locale.ROOT);
            tenantsAsked.add(tenant);
            Map<String, String> form = form(body);
            App app = apps.get(form.getOrDefault("client_id", ""));
            String scope = java.util.Arrays.stream(form.getOrDefault("scope", "").split(" ")).filter(sc -> sc.endsWith("/.default"))
                    .findFirst().orElse(""); // MSAL adds openid, profile, offline_access
            if (!"client_credentials".equals(form.get("grant_type"))) {
                send(x, 400, error("unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."));
            } else if (app == null || !app.tenants().contains(tenant)) {
                send(x, 400, error("unauthorized_client", "AADSTS700016: Application with identifier '" + form.get("client_id")
                        + "' was not found in the directory '" + tenant + "'."));
            } else if (!app.secret().equals(form.get("client_secret"))) {
                send(x, 401, error("invalid_client", "AADSTS7000215: Invalid client secret provided."));
            } else if (!scope.endsWith("/.default")) {
                send(x, 400, error("invalid_scope", "AADSTS1002012: The provided value for scope is not valid."));
            } else {
                byte[] raw = new byte[24];
                RANDOM.nextBytes(raw);
                String token = "fake." + java.util.HexFormat.of().formatHex(raw);
                String audience = scope.substring(0, scope.length() - "/.default".length());
                tokens.put(token, new Issued(tenant, form.get("client_id"), audience, Instant.now().plusSeconds(3599)));
                send(x, 200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\"" + token + "\"}");
            }
        }
    }

    private static String error(String code, String description) {
        return "{\"error\":\"" + code + "\",\"error_description\":\"" + description + "\",\"error_codes\":[" + description.substring(6,
                description.indexOf(':')) + "]}";
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1),
                        StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void send(HttpExchange x, int status, String json) throws IOException {
        byte[] out = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        x.sendResponseHeaders(status, out.length);
        x.getResponseBody().write(out);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
