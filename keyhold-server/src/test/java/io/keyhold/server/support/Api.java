package io.keyhold.server.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A black-box HTTP client for the API: real requests to a real server, nothing in-process. */
public final class Api {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private final String authorization;

    public Api(String base, String key, String secret) {
        this.base = base;
        this.authorization = key == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((key + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    public Api as(String key, String secret) {
        return new Api(base, key, secret);
    }

    public Api anonymous() {
        return new Api(base, null, null);
    }

    /** One response: status, headers and the parsed body (null when empty or not JSON). */
    public record Res(int status, HttpResponse<String> raw, JsonNode body) {
        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + raw.body();
        }
    }

    public Res get(String path) {
        return send("GET", path, null);
    }

    public Res delete(String path) {
        return send("DELETE", path, null);
    }

    public Res post(String path, String json) {
        return send("POST", path, json);
    }

    public Res patch(String path, String json) {
        return send("PATCH", path, json);
    }

    public Res send(String method, String path, String body) {
        return sendBytes(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), authorization);
    }

    public Res sendRawAuth(String method, String path, String rawAuthorization) {
        return sendBytes(method, path, null, rawAuthorization);
    }

    public Res sendBytes(String method, String path, byte[] body, String auth) {
        String url = path.startsWith("http") ? path : base + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            String text = r.body();
            if (text != null && !text.isEmpty() && (text.startsWith("{") || text.startsWith("["))) {
                json = JSON.readTree(text);
            }
            return new Res(r.statusCode(), r, json);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String base() {
        return base;
    }
}
