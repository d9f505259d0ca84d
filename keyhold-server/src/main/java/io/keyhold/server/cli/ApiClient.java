package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;

/**
 * A small client for the Keyhold API, used by the CLI commands. The credentials go only to the
 * configured server: an absolute URL from a response (a {@code next} link) is followed only when it
 * has the base URL's scheme, host and port, so a server, or whatever answers in its name, cannot
 * send the CLI's secret to another host or over plain HTTP.
 */
public final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final String base;
    private final URI origin;
    private final String authorization;

    public ApiClient(String url, String apiKey, String apiSecret) {
        this(url, apiKey, apiSecret, null);
    }

    /** @param caFile PEM certificates to trust for https instead of the JVM's CAs; null: the JVM's */
    public ApiClient(String url, String apiKey, String apiSecret, Path caFile) {
        HttpClient.Builder hb = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (caFile != null) {
            hb.sslContext(TrustedCertificates.sslContext(caFile));
        }
        this.http = hb.build();
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.origin = origin(base).orElseThrow(() -> new ApiError(2, 0, "the server URL '" + url.replaceAll("//[^/]*@", "//***@")
                + "' is not an http:// or https:// URL with a host (and no user:password@)"));
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((apiKey + ":" + apiSecret).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "ApiClient[" + base + "]"; // never the Authorization header
    }

    public String url() {
        return base;
    }

    public JsonNode get(String path) {
        return send("GET", path, null);
    }

    public JsonNode post(String path, JsonNode body) {
        return send("POST", path, body);
    }

    public JsonNode patch(String path, JsonNode body) {
        return send("PATCH", path, body);
    }

    public void delete(String path) {
        send("DELETE", path, null);
    }

    /** Every item of a list endpoint, following {@code metadata.next} until the end. */
    public List<JsonNode> list(String path) {
        List<JsonNode> all = new ArrayList<>();
        String next = path + (path.contains("?") ? "&" : "?") + "page_size=100";
        int pages = 0;
        while (next != null && pages++ < 10_000) {
            JsonNode page = get(next);
            page.path("data").forEach(all::add);
            JsonNode n = page.path("metadata").path("next");
            next = n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
        }
        return all;
    }

    private JsonNode send(String method, String path, JsonNode body) {
        String url = isAbsolute(path) ? sameOrigin(path) : base + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Authorization", authorization).header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (SSLHandshakeException e) {
            throw new ApiError(1, 0, "cannot reach the Keyhold server at " + base + ": its TLS certificate is not trusted ("
                    + e.getMessage() + "); if it is signed by a private CA or self-signed, give its PEM certificate with "
                    + "'keyhold login --ca-file FILE' or KEYHOLD_CA_FILE");
        } catch (IOException e) {
            throw new ApiError(1, 0, "cannot reach the Keyhold server at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(1, 0, "interrupted");
        }
        JsonNode json = null;
        try {
            json = r.body() == null || r.body().isEmpty() ? null : JSON.readTree(r.body());
        } catch (IOException e) {
            // not JSON: reported below by status
        }
        if (r.statusCode() >= 400) {
            JsonNode err = json == null ? null : json.path("errors").path(0);
            String detail = err == null || err.isMissingNode() ? "HTTP " + r.statusCode() : err.path("detail").asText(err.path("title").asText());
            throw new ApiError(ApiError.exitCodeFor(r.statusCode()), r.statusCode(), detail);
        }
        return json == null ? JSON.createObjectNode() : json;
    }

    private static boolean isAbsolute(String path) {
        return path.regionMatches(true, 0, "http://", 0, 7) || path.regionMatches(true, 0, "https://", 0, 8);
    }

    /** {@code url} when it is on this client's server, else an error (the request is not sent). */
    private String sameOrigin(String url) {
        Optional<URI> o;
        try {
            o = origin(url);
        } catch (ApiError e) {
            o = Optional.empty();
        }
        if (o.isEmpty() || !o.get().equals(origin)) {
            throw new ApiError(1, 0, "the server at " + origin + " returned a link to another server (" + abbreviate(url)
                    + "); not following it, so the API secret goes only to " + origin
                    + ". If the server is reached under another name, set its public-url to " + origin);
        }
        return url;
    }

    /** scheme://host:port, lower case, the default port made explicit; empty when not an http(s) URL with a host. */
    private static Optional<URI> origin(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
        if (u.getHost() == null || !("http".equals(scheme) || "https".equals(scheme)) || u.getRawUserInfo() != null) {
            return Optional.empty();
        }
        int port = u.getPort() >= 0 ? u.getPort() : "https".equals(scheme) ? 443 : 80;
        return Optional.of(URI.create(scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port));
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }
}
