package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** The control plane's REST API as the end-to-end tests call it: Basic auth, JSON, expected status. */
final class RestClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String authorization;

    RestClient(String apiKey, String apiSecret) {
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((apiKey + ":" + apiSecret).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code method path} with {@code body} (or none); asserts the status and returns the JSON answer. */
    JsonNode send(String url, String method, String path, String body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** Polls {@code check} every 100 ms until it holds; fails the test after {@code max}. */
    static void await(Check check, String what, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!check.ok()) {
            assertThat(System.nanoTime()).as("waited too long for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
