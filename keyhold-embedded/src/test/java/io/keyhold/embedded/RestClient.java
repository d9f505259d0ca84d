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

    // ---- the set-up most end-to-end tests share: a key object, a cluster on it ----------------

    /** How long a key's first validation may take (a real KMS round trip, on a machine that may be busy). */
    static final Duration KEY_VALID = Duration.ofSeconds(120);
    /** How long a cluster may take to be PROVISIONED: a broker start, on a machine that may be busy. */
    static final Duration PROVISIONED = Duration.ofSeconds(240);

    /** Registers {@code keyJson} (the API's {@code key} object) and waits until it is VALID; returns the API's answer. */
    JsonNode registerKey(String url, String keyJson) throws Exception {
        JsonNode created = send(url, "POST", "/byok/v1/keys", "{\"key\":" + keyJson + "}", 201);
        String byok = created.get("id").asText();
        await(() -> send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation").path("phase").asText().equals("VALID"),
                "key " + byok + " VALID", KEY_VALID);
        return created;
    }

    /** A new key {@code name} in the server's local KMS, registered and VALID; returns its key object's id. */
    String localKey(String url, String name) throws Exception {
        send(url, "POST", "/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}", 201);
        return registerKey(url, "{\"kind\":\"LocalKey\",\"key_id\":\"" + name + "\"}").get("id").asText();
    }

    /**
     * Creates a Dedicated single-zone cluster {@code name} in {@code env}, in {@code cloud}/{@code region},
     * keyed by the key object {@code byok} (null: Keyhold's automatic key); returns its id, not waiting.
     */
    String createCluster(String url, String env, String name, String cloud, String region, String byok) throws Exception {
        return send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"" + name + "\",\"availability\":"
                + "\"SINGLE_ZONE\",\"cloud\":\"" + cloud + "\",\"region\":\"" + region + "\",\"config\":{\"kind\":"
                + "\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\"" + env + "\"}"
                + (byok == null ? "" : ",\"byok\":{\"id\":\"" + byok + "\"}") + "}}", 202).get("id").asText();
    }

    /** As {@link #createCluster(String, String, String, String, String, String)} on LOCAL/local. */
    String createCluster(String url, String env, String name, String byok) throws Exception {
        return createCluster(url, env, name, "LOCAL", "local", byok);
    }

    /** The API path of cluster {@code id} in {@code env}. */
    static String clusterPath(String id, String env) {
        return "/cmk/v2/clusters/" + id + "?environment=" + env;
    }

    /** The phase the API shows for the cluster at {@code clusterPath}. */
    String phase(String url, String clusterPath) throws Exception {
        return send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }

    /** Waits until the cluster at {@code clusterPath} is PROVISIONED; returns its bootstrap endpoint. */
    String awaitProvisioned(String url, String clusterPath) throws Exception {
        await(() -> phase(url, clusterPath).equals("PROVISIONED"), clusterPath + " PROVISIONED", PROVISIONED);
        return send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();
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
