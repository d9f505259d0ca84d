package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
        Map<String, String> passphrase = RunningServer.localKmsPassphrase(dataDir, "metrics test passphrase");
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, "metrics test passphrase".toCharArray()))) {
            kms.create("metrics-key");
        }
        try (RunningServer running = RunningServer.start(KEY, SECRET, dataDir, passphrase, Map.of(), null, RunningServer.freePortRange())) {
            KeyholdServer server = running.server();
            ClusterRuntime runtime = running.runtime();
            String url = server.url();
            String env = server.bootstrapEnvironmentId();
            RestClient rest = new RestClient(KEY, SECRET);
            String byok = rest.registerKey(url, "{\"kind\":\"LocalKey\",\"key_id\":\"metrics-key\"}").get("id").asText();
            String cluster = rest.createCluster(url, env, "metered", byok);
            String endpoint = rest.awaitProvisioned(url, RestClient.clusterPath(cluster, env));

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
        }
    }

    private HttpRequest.Builder authorized(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Authorization",
                "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8)));
    }
}
