package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** A small client for the Keyhold API, used by the CLI commands. */
public final class ApiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String authorization;

    public ApiClient(String url, String apiKey, String apiSecret) {
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((apiKey + ":" + apiSecret).getBytes(StandardCharsets.UTF_8));
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
        String url = path.startsWith("http://") || path.startsWith("https://") ? path : base + path;
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
}
