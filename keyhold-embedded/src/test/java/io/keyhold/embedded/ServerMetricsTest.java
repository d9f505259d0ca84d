package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyhold server} with the embedded runtime: a cluster created through the REST API runs a
 * real broker and proxy, and {@code GET /metrics} (authenticated) shows that proxy's counters.
 */
class ServerMetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "METRICSKEY";
    private static final String SECRET = "metrics-test-secret-0123456789";

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void metricsRequireAuthAndShowTheProxyCountersOfAnEmbeddedCluster() throws Exception {
        Path passphrase = dataDir.resolve("passphrase.txt");
        Files.writeString(passphrase, "metrics test passphrase");
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, "metrics test passphrase".toCharArray()))) {
            kms.create("metrics-key");
        }
        ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                "bind", "127.0.0.1", "kms.local.passphrase-file", passphrase.toString(), "validation-interval", "100ms"), Map.of(), null);
        ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
        try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                .printBootstrapSecret(false).build())) {
            String url = server.url();
            String env = server.bootstrapEnvironmentId();
            String byok = send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"metrics-key\"}}", 201)
                    .get("id").asText();
            await(() -> send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation").path("phase").asText()
                    .equals("VALID"), "key " + byok + " VALID");
            String cluster = send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"metered\",\"availability\":\"SINGLE_ZONE\","
                    + "\"cloud\":\"LOCAL\",\"region\":\"local\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\""
                    + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
            String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env;
            await(() -> send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText().equals("PROVISIONED"),
                    "cluster " + cluster + " PROVISIONED");
            String endpoint = send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

            EmbeddedClustersTest.produce(endpoint, "metered", "one", "two", "three");

            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(anonymous.body()).path("errors").path(0).path("code").asText()).isEqualTo("user_unauthenticated");
            assertThat(anonymous.body()).doesNotContain("keyhold_proxy_");

            HttpResponse<String> scrape = http.send(authorized(url + "/metrics").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            String c = "{cluster=\"" + cluster + "\"}";
            assertThat(scrape.body().lines().toList())
                    .contains("# TYPE keyhold_proxy_records_encrypted_total counter")
                    .contains("keyhold_proxy_records_encrypted_total" + c + " 3")
                    .contains("keyhold_proxy_locked" + c + " 0");
            assertThat(scrape.body()).contains("keyhold_http_requests_seconds_count").contains("jvm_memory_used_bytes");

            // The key health monitor is not needed to see a lock: the runtime's lock goes straight to the proxy.
            runtime.lock(cluster, "test", (id, phase, message, ep) -> { });
            String locked = http.send(authorized(url + "/metrics").build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(locked.lines().toList()).contains("keyhold_proxy_locked" + c + " 1")
                    .contains("keyhold_proxy_deks{cluster=\"" + cluster + "\",cache=\"encryption\"} 0");
        } finally {
            ((AutoCloseable) runtime).close();
        }
    }

    private HttpRequest.Builder authorized(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Authorization",
                "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8)));
    }

    private JsonNode send(String url, String method, String path, String body, int expected) throws Exception {
        HttpRequest.Builder b = authorized(url + path).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void await(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!check.ok()) {
            assertThat(System.nanoTime()).as("waited too long for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
