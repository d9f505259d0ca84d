package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.embedded.internal.EmbeddedBroker;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka clusters the operator already runs, registered in the server config: a real KRaft broker
 * started here stands for the existing cluster, and everything goes through the real HTTP API and
 * real Kafka clients.
 */
class RegisteredKafkaClustersTest {
    private static final String KEY = "EXTKEY";
    private static final String SECRET = "external-test-secret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @Test
    void createdClusterBindsToTheRegisteredKafkaEncryptsLocksSurvivesRestartAndDeleteLeavesItsTopics() throws Exception {
        Path externalLogDir = tmp.resolve("existing-kafka");
        try (EmbeddedBroker existing = EmbeddedBroker.start(externalLogDir, Uuid.randomUuid().toString(), freePort(), freePort())) {
            Path yaml = serverYaml(existing.bootstrapServers());
            String canary = "EXTERNAL-CANARY-" + UUID.randomUUID();
            String env;
            String clusterId;
            String endpoint;
            try (RunningServer s = start(yaml)) {
                env = s.server().bootstrapEnvironmentId();
                post(s, "/keyhold/v1/local-kms/keys", "{\"name\":\"ext-key\"}");
                String byok = post(s, "/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"ext-key\"}}").get("id").asText();
                await(s, "/byok/v1/keys/" + byok, k -> k.path("validation").path("phase").asText().equals("VALID"));

                clusterId = post(s, "/cmk/v2/clusters", clusterBody("orders", env, byok)).get("id").asText();
                JsonNode provisioned = awaitPhase(s, clusterId, env, "PROVISIONED");
                endpoint = provisioned.path("spec").path("kafka_bootstrap_endpoint").asText();
                assertThat(endpoint).startsWith("127.0.0.1:").isNotEqualTo(existing.bootstrapServers());

                EmbeddedClustersTest.produce(endpoint, "payments", canary + "-1", canary + "-2");
                assertThat(EmbeddedClustersTest.consume(endpoint, "payments", 2)).containsExactly(canary + "-1", canary + "-2");
                // The existing cluster stores, and hands a direct client, only ciphertext.
                assertThat(EmbeddedClustersTest.filesContaining(externalLogDir, canary)).isEmpty();
                List<ConsumerRecord<byte[], byte[]>> stored = consumeDirectly(existing.bootstrapServers(), "payments", 2);
                assertThat(stored).hasSize(2).allSatisfy(r -> {
                    assertThat(new String(r.value(), StandardCharsets.ISO_8859_1)).doesNotContain(canary);
                    assertThat(r.headers().toArray()).extracting(Header::key).containsExactly("kh");
                });
                // The binding is a record next to nothing else: owner-only, naming the registration.
                Path record = tmp.resolve("data/clusters/" + clusterId + "/cluster.properties");
                assertThat(Files.readString(record)).contains("kafka.registered.name=existing");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(record))).isEqualTo("rw-------");
                assertThat(tmp.resolve("data/clusters/" + clusterId + "/kafka")).doesNotExist();

                // The key is disabled at the KMS: the cluster locks, produce is refused; enabled: it resumes.
                post(s, "/keyhold/v1/local-kms/keys/ext-key/disable", "{}");
                awaitPhase(s, clusterId, env, "LOCKED");
                String lockedEndpoint = endpoint;
                assertThatThrownBy(() -> EmbeddedClustersTest.produce(lockedEndpoint, "payments", "while locked"))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
                post(s, "/keyhold/v1/local-kms/keys/ext-key/enable", "{}");
                awaitPhase(s, clusterId, env, "PROVISIONED");

                // The only registered cluster is taken: a second cluster fails and says what to do.
                String second = post(s, "/cmk/v2/clusters", clusterBody("audit", env, null)).get("id").asText();
                JsonNode failed = awaitPhase(s, second, env, "FAILED");
                assertThat(failed.path("status").path("message").asText())
                        .contains("no registered Kafka cluster is free for cloud LOCAL, region local")
                        .contains("Register more Kafka clusters in the server config (kafka-clusters)");
                assertThat(tmp.resolve("data/clusters/" + second)).doesNotExist();
            }

            // After a restart the binding comes back: same endpoint, the data still readable.
            try (RunningServer s = start(yaml)) {
                JsonNode again = awaitPhase(s, clusterId, env, "PROVISIONED");
                assertThat(again.path("spec").path("kafka_bootstrap_endpoint").asText()).isEqualTo(endpoint);
                assertThat(EmbeddedClustersTest.consume(endpoint, "payments", 2)).containsExactly(canary + "-1", canary + "-2");

                // Deleting stops the proxy and forgets the binding; the topic stays on the existing Kafka, as ciphertext.
                assertThat(send(s, "DELETE", "/cmk/v2/clusters/" + clusterId + "?environment=" + env, null).statusCode()).isEqualTo(204);
                Path dir = tmp.resolve("data/clusters/" + clusterId);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (Files.exists(dir) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(dir).doesNotExist();
                int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
                assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", existing.bootstrapServers()))) {
                    assertThat(admin.listTopics().names().get()).contains("payments");
                }
                assertThat(consumeDirectly(existing.bootstrapServers(), "payments", 2)).hasSize(2);

                // The registration is free again: the next cluster binds to it.
                String next = post(s, "/cmk/v2/clusters", clusterBody("next", env, null)).get("id").asText();
                JsonNode bound = awaitPhase(s, next, env, "PROVISIONED");
                String nextEndpoint = bound.path("spec").path("kafka_bootstrap_endpoint").asText();
                EmbeddedClustersTest.produce(nextEndpoint, "next-topic", canary + "-next");
                assertThat(EmbeddedClustersTest.consume(nextEndpoint, "next-topic", 1)).containsExactly(canary + "-next");
            }
        }
    }

    @Test
    void aClusterInAnotherRegionThanEveryRegistrationFailsWithoutStartingABroker() throws Exception {
        Path yaml = tmp.resolve("keyhold.yaml");
        Files.writeString(yaml, """
                kafka-clusters:
                  - name: eu
                    bootstrap-servers: [127.0.0.1:1]
                    cloud: AWS
                    region: eu-west-1
                """);
        try (RunningServer s = start(yaml)) {
            String env = s.server().bootstrapEnvironmentId();
            String id = post(s, "/cmk/v2/clusters", clusterBody("local-one", env, null)).get("id").asText();
            JsonNode failed = awaitPhase(s, id, env, "FAILED");
            assertThat(failed.path("status").path("message").asText())
                    .contains("none of the 1 Kafka clusters registered in the server config (kafka-clusters) accepts cloud LOCAL, region local");
            assertThat(tmp.resolve("data/clusters/" + id)).doesNotExist();
        }
    }

    private Path serverYaml(String bootstrap) throws IOException {
        Path yaml = tmp.resolve("keyhold.yaml");
        Files.writeString(yaml, """
                health-interval: 500ms
                validation-interval: 200ms
                kafka-clusters:
                  - name: existing
                    bootstrap-servers: [%s]
                    cloud: LOCAL
                    region: local
                    max-node-id: 1
                """.formatted(bootstrap));
        return yaml;
    }

    /** The server on this test's data directory, local KMS passphrase and {@code yaml}, its clusters on ports free just now. */
    private RunningServer start(Path yaml) throws Exception {
        return RunningServer.start(KEY, SECRET, tmp.resolve("data"),
                RunningServer.localKmsPassphrase(tmp, "registered clusters test passphrase"), Map.of(), yaml, RunningServer.freePortRange());
    }

    private static String clusterBody(String name, String env, String byokId) {
        return "{\"spec\":{\"display_name\":\"" + name + "\",\"availability\":\"SINGLE_ZONE\",\"cloud\":\"LOCAL\",\"region\":\"local\","
                + "\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\"" + env + "\"}"
                + (byokId == null ? "" : ",\"byok\":{\"id\":\"" + byokId + "\"}") + "}}";
    }

    private static JsonNode awaitPhase(RunningServer s, String clusterId, String env, String phase) throws Exception {
        return await(s, "/cmk/v2/clusters/" + clusterId + "?environment=" + env,
                c -> c.path("status").path("phase").asText().equals(phase));
    }

    /** GETs {@code path} until the body satisfies {@code done} (60 s at most). */
    private static JsonNode await(RunningServer s, String path, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode body;
        do {
            HttpResponse<String> r = send(s, "GET", path, null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            body = JSON.readTree(r.body());
            if (done.test(body)) {
                return body;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("timed out waiting on " + path + "; last: " + body);
    }

    private static JsonNode post(RunningServer s, String path, String json) throws Exception {
        HttpResponse<String> r = send(s, "POST", path, json);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isBetween(200, 299);
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    private static HttpResponse<String> send(RunningServer s, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.server().url() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8)))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What a client connected straight to the existing Kafka (not through Keyhold) reads. */
    private static List<ConsumerRecord<byte[], byte[]>> consumeDirectly(String bootstrap, String topic, int n) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("group.id", "direct-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
