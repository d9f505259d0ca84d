package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.embedded.internal.EmbeddedBroker;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.proxy.UpstreamSettings;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.RegisteredKafkaCluster;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /readyz} means what a load balancer needs: 503 while a provisioned cluster's endpoint
 * does not serve (after a restart, before its broker is back; while its Kafka is down), 200 only once
 * it does, and then a real Kafka producer gets its records acknowledged at once.
 */
class ReadinessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "READYKEY";
    private static final String SECRET = "readiness-test-secret-0123456789";
    private static final String PASSPHRASE = "readiness test passphrase";
    private static final RestClient REST = new RestClient(KEY, SECRET);
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path dataDir;

    @Test
    void afterARestartReadyzIs503UntilTheClusterServesThen200AndAProducerSucceedsAtOnce() throws Exception {
        Path passphrase = dataDir.resolve("passphrase.txt");
        Files.writeString(passphrase, PASSPHRASE);
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, PASSPHRASE.toCharArray()))) {
            kms.create("ready-key");
            ClusterKeys keys = (id, kind, key) -> new ClusterKeys.ClusterKey(kms, key);
            int base = EmbeddedClustersTest.freeRangeStart();
            EmbeddedClusters.Settings settings = new EmbeddedClusters.Settings(dataDir, "127.0.0.1", "127.0.0.1", base, base + 20);
            ServerConfig.Builder config = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                    "bind", "127.0.0.1", "kms.local.passphrase-file", passphrase.toString(), "validation-interval", "100ms"),
                    Map.of(), null).bootstrapCredentials(KEY, SECRET).printBootstrapSecret(false);

            String cluster;
            String endpoint;
            EmbeddedClusterRuntime first = new EmbeddedClusterRuntime(new EmbeddedClusters(settings, keys));
            try (KeyholdServer server = KeyholdServer.start(config.clusterRuntime(first).build())) {
                String url = server.url();
                assertThat(get(url, "/readyz", false).statusCode()).as("no clusters yet").isEqualTo(200);
                String byok = REST.registerKey(url, "{\"kind\":\"LocalKey\",\"key_id\":\"ready-key\"}").get("id").asText();
                String env = server.bootstrapEnvironmentId();
                cluster = REST.createCluster(url, env, "orders", byok);
                endpoint = REST.awaitProvisioned(url, RestClient.clusterPath(cluster, env));
                EmbeddedClustersTest.produce(endpoint, "orders", "before the restart");
                HttpResponse<String> ready = get(url, "/readyz", true);
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(ready.body()).path("clusters").path("serving").asInt()).isEqualTo(1);
            } finally {
                first.close();
            }

            // The server is back before its cluster: the runtime restores it only when told to.
            EmbeddedClusterRuntime second = new EmbeddedClusterRuntime(new EmbeddedClusters(settings, keys));
            try (KeyholdServer server = KeyholdServer.start(config.clusterRuntime(second).build())) {
                String url = server.url();
                assertThat(connects(endpoint)).as("the endpoint is not listening yet").isFalse();
                HttpResponse<String> probe = get(url, "/readyz", false);
                assertThat(probe.statusCode()).isEqualTo(503);
                assertThat(JSON.readTree(probe.body())).as("no details without credentials")
                        .isEqualTo(JSON.readTree("{\"status\":\"not_ready\"}"));
                assertThat(probe.headers().firstValue("X-RateLimit-Limit")).as("probes are not rate limited").isEmpty();
                HttpResponse<String> detailed = get(url, "/readyz", true);
                assertThat(detailed.statusCode()).isEqualTo(503);
                JsonNode details = JSON.readTree(detailed.body());
                assertThat(details.path("database").asText()).isEqualTo("ok");
                assertThat(details.path("clusters").path("not_serving").path(0).path("id").asText()).isEqualTo(cluster);
                assertThat(details.path("clusters").path("not_serving").path(0).path("display_name").asText()).isEqualTo("orders");

                second.restoreAll();
                List<Integer> answers = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (answers.isEmpty() || answers.get(answers.size() - 1) != 200) {
                    assertThat(System.nanoTime()).as("readyz never said ready: " + answers).isLessThan(deadline);
                    answers.add(get(url, "/readyz", false).statusCode());
                    Thread.sleep(20);
                }
                // Ready means a producer that starts now gets its records acknowledged, with no time to retry.
                long start = System.nanoTime();
                produceAtOnce(endpoint, "orders", "just after ready");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(answers.subList(0, answers.size() - 1)).as("every answer before ready").containsOnly(503);
                assertThat(EmbeddedClustersTest.consume(endpoint, "orders", 2)).containsExactly("before the restart", "just after ready");
            } finally {
                second.close();
            }
        }
    }

    @Test
    void aClusterWhoseKafkaIsDownDoesNotServeThoughItsProxyListens() throws Exception {
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, PASSPHRASE.toCharArray()))) {
            kms.create("ext-key");
            ClusterKeys keys = (id, kind, key) -> new ClusterKeys.ClusterKey(kms, key);
            Path kafkaDir = dataDir.resolve("existing-kafka");
            String kafkaId = Uuid.randomUuid().toString();
            int brokerPort = RegisteredKafkaClustersTest.freePort();
            int controllerPort = RegisteredKafkaClustersTest.freePort();
            EmbeddedBroker kafka = EmbeddedBroker.start(kafkaDir, kafkaId, brokerPort, controllerPort);
            int base = EmbeddedClustersTest.freeRangeStart();
            RegisteredKafkaCluster registered = new RegisteredKafkaCluster("existing",
                    new UpstreamSettings(List.of(kafka.bootstrapServers()), null), null, null, 1);
            try (EmbeddedClusters clusters = new EmbeddedClusters(new EmbeddedClusters.Settings(dataDir, "127.0.0.1", "127.0.0.1",
                    base, base + 20), keys, List.of(registered))) {
                String endpoint = clusters.start("lkc-ext", "local", "ext-key");
                assertThat(clusters.notServing(List.of("lkc-ext", "lkc-unknown"))).containsExactly("lkc-unknown");

                kafka.close();
                kafka = null;
                assertThat(connects(endpoint)).as("the proxy still listens").isTrue();
                // "Serves" is reused for a second; then the probe finds no broker behind the proxy.
                RestClient.await(() -> clusters.notServing(List.of("lkc-ext")).contains("lkc-ext"), "lkc-ext not serving", WAIT);

                kafka = EmbeddedBroker.start(kafkaDir, kafkaId, brokerPort, controllerPort);
                RestClient.await(() -> clusters.notServing(List.of("lkc-ext")).isEmpty(), "lkc-ext serving again", WAIT);
                produceAtOnce(endpoint, "ext", "after the broker came back");
            } finally {
                if (kafka != null) {
                    kafka.close();
                }
            }
        }
    }

    /** One record with timeouts that leave no room for retrying until the cluster comes up. */
    private static void produceAtOnce(String endpoint, String topic, String value) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", endpoint);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("max.block.ms", 3_000);
        p.put("request.timeout.ms", 2_000);
        p.put("delivery.timeout.ms", 3_000);
        p.put("linger.ms", 0);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }

    private static boolean connects(String endpoint) throws Exception {
        int colon = endpoint.lastIndexOf(':');
        try (Socket s = new Socket(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)))) {
            return true;
        } catch (ConnectException e) {
            return false;
        }
    }

    private static HttpResponse<String> get(String url, String path, boolean authenticated) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
        if (authenticated) {
            b.header("Authorization", authorization());
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String authorization() {
        return "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8));
    }
}
