package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.embedded.internal.EmbeddedBroker;
import io.keyhold.kms.aws.FakeCredentials;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.proxy.cli.ProxyCommand;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Standalone proxies lock too, end to end: two {@code keyhold proxy} processes' worth of commands
 * (each its own config, KMS connection, metrics endpoint and audit file) in front of one in-JVM
 * broker, keyed by an AWS key (the real AWS SDK against the wire-level fake of KMS), health
 * interval 1 s, real Kafka Java clients. Disabling the key locks each proxy on its own within a few
 * intervals (produce and fetch refused, no DEK left in its caches); enabling it unlocks them and
 * every acknowledged record reads back byte for byte. A key that may still wrap but no longer
 * unwrap (its {@code Decrypt} permission removed) locks as well.
 */
@ExtendWith(FakeCredentials.class) // the SDK's default chain reads the fake's credentials from system properties
class StandaloneProxyLockTest {
    private static final String TOKEN = "scrape-token-0123456789abcdef";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);
    private static final String TOPIC = "orders";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<String> acknowledged = new ArrayList<>();

    /** One running {@code keyhold proxy --config ...}. */
    private record Running(ProxyCommand command, Thread thread, AtomicInteger exit, int port, int metricsPort, Path auditFile) {
        String bootstrap() {
            return "127.0.0.1:" + port;
        }
    }

    @Test
    void eachStandaloneProxyLocksOnItsOwnWhenTheKeyIsDisabledOrMayNoLongerUnwrapAndResumesWithEveryRecord() throws Exception {
        try (FakeAwsKms aws = FakeAwsKms.start("us-west-2");
             EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), Uuid.randomUuid().toString(),
                     RegisteredKafkaClustersTest.freePort(), RegisteredKafkaClustersTest.freePort())) {
            String keyArn = aws.createKey();
            Running a = start("a", aws, keyArn, broker.bootstrapServers());
            Running b = start("b", aws, keyArn, broker.bootstrapServers());
            try (KafkaProducer<byte[], byte[]> producerA = KafkaClients.producer(a.bootstrap());
                 KafkaProducer<byte[], byte[]> producerB = KafkaClients.producer(b.bootstrap())) {
                produce(producerA, "through a");
                produce(producerB, "through b");
                assertThat(KafkaClients.readAll(a.bootstrap(), TOPIC, 2, Duration.ofSeconds(60))).containsExactlyElementsOf(acknowledged);
                assertThat(KafkaClients.readAll(b.bootstrap(), TOPIC, 2, Duration.ofSeconds(60))).containsExactlyElementsOf(acknowledged);

                // The customer disables the key: each proxy finds out with its own check and locks.
                long disabledAt = System.nanoTime();
                aws.disable(keyArn);
                for (Running r : List.of(a, b)) {
                    RestClient.await(() -> sample(r, "keyhold_proxy_locked{cluster=\"orders\"}") == 1, "proxy locked",
                            HEALTH_INTERVAL.multipliedBy(10));
                }
                Duration toLocked = Duration.ofNanos(System.nanoTime() - disabledAt);
                System.out.println("AWS key disabled -> both standalone proxies locked in " + toLocked.toMillis()
                        + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(3));
                assertLocked(a, producerA);
                assertLocked(b, producerB);

                aws.enable(keyArn);
                for (Running r : List.of(a, b)) {
                    RestClient.await(() -> sample(r, "keyhold_proxy_locked{cluster=\"orders\"}") == 0, "proxy unlocked",
                            HEALTH_INTERVAL.multipliedBy(10));
                }
                produce(producerA, "after enable");
                assertThat(KafkaClients.readAll(b.bootstrap(), TOPIC, acknowledged.size(), Duration.ofSeconds(60)))
                        .containsExactlyElementsOf(acknowledged);

                // Kms:Decrypt removed, GenerateDataKey still allowed: the round trip fails, so the proxies lock.
                aws.denyUnwrap(keyArn);
                for (Running r : List.of(a, b)) {
                    RestClient.await(() -> sample(r, "keyhold_proxy_locked{cluster=\"orders\"}") == 1, "locked without Decrypt",
                            HEALTH_INTERVAL.multipliedBy(10));
                }
                assertLocked(a, producerA);
                aws.allowAccess(keyArn);
                for (Running r : List.of(a, b)) {
                    RestClient.await(() -> sample(r, "keyhold_proxy_locked{cluster=\"orders\"}") == 0, "unlocked again",
                            HEALTH_INTERVAL.multipliedBy(10));
                }
                produce(producerB, "after Decrypt came back");
                assertThat(KafkaClients.readAll(a.bootstrap(), TOPIC, acknowledged.size(), Duration.ofSeconds(60)))
                        .containsExactlyElementsOf(acknowledged);
            } finally {
                stop(a);
                stop(b);
            }
            for (Running r : List.of(a, b)) {
                List<JsonNode> all = Files.readAllLines(r.auditFile()).stream().map(StandaloneProxyLockTest::json).toList();
                // every KMS call is in the file too (the health checks among them); the lifecycle is the rest
                assertThat(all).anySatisfy(n -> assertThat(n.path("event_type").asText()).isEqualTo("KMS_CALL"));
                assertThat(all).filteredOn(n -> n.path("event_type").asText().equals("KMS_CALL"))
                        .anySatisfy(n -> assertThat(n.path("outcome").asText()).isEqualTo("denied"));
                List<JsonNode> audit = all.stream().filter(n -> !n.path("event_type").asText().equals("KMS_CALL")).toList();
                assertThat(audit.stream().map(n -> n.path("event_type").asText()).toList())
                        .containsExactly("CLUSTER_LOCKED", "CLUSTER_UNLOCKED", "CLUSTER_LOCKED", "CLUSTER_UNLOCKED");
                assertThat(audit.get(0).path("message").asText()).startsWith("The key is disabled in its KMS");
                assertThat(audit.get(2).path("message").asText()).startsWith("Access to key denied.");
                assertThat(audit).allSatisfy(n -> {
                    assertThat(n.path("principal").asText()).isEqualTo("system");
                    assertThat(n.path("cluster").asText()).isEqualTo("orders");
                    assertThat(n.path("key").asText()).isEqualTo(keyArn);
                    assertThat(n.path("process").asText()).startsWith("proxy@");
                });
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(r.auditFile())))
                        .as("the audit file is the owner's only").isEqualTo("rw-------");
            }
        }
    }

    private void assertLocked(Running r, KafkaProducer<byte[], byte[]> producer) throws Exception {
        assertThatThrownBy(() -> KafkaClients.send(producer, TOPIC, "refused"))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(r.bootstrap(), Map.of())) {
            consumer.subscribe(List.of(TOPIC));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 150; i++) {
                    assertThat(consumer.poll(Duration.ofMillis(200))).as("a locked proxy hands out no record").isEmpty();
                }
            }).isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(sample(r, "keyhold_proxy_deks{cluster=\"orders\",cache=\"encryption\"}")).isZero();
        assertThat(sample(r, "keyhold_proxy_deks{cluster=\"orders\",cache=\"decryption\"}")).isZero();
    }

    private Running start(String name, FakeAwsKms aws, String keyArn, String upstream) throws Exception {
        int port = RegisteredKafkaClustersTest.freePort();
        int metrics = RegisteredKafkaClustersTest.freePort();
        Path audit = dir.resolve(name + "-audit.jsonl");
        Path config = dir.resolve(name + "-proxy.yaml");
        Files.writeString(config, String.join("\n",
                "kms:",
                "  provider: aws",
                "  settings:",
                "    endpoint: " + aws.endpoint(),
                "health-interval: " + HEALTH_INTERVAL.toMillis() + "ms",
                "audit:",
                "  file: " + audit,
                "clusters:",
                "  - id: orders",
                "    upstream: " + upstream,
                "    key: " + keyArn,
                "    listen: 127.0.0.1:" + port,
                "metrics:",
                "  listen: 127.0.0.1:" + metrics,
                "  token-env: SCRAPE_TOKEN",
                ""));
        Map<String, String> env = Map.of("SCRAPE_TOKEN", TOKEN);
        ProxyCommand command = new ProxyCommand(env::get);
        AtomicInteger exit = new AtomicInteger(-1);
        Thread t = new Thread(() -> exit.set(new picocli.CommandLine(command).execute("--config", config.toString())),
                "proxy-command-" + name);
        t.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!canConnect(metrics)) { // the endpoint opens after the proxy is up
            assertThat(exit.get()).as("proxy " + name + " exited").isEqualTo(-1);
            assertThat(System.nanoTime()).as("proxy " + name + " listening").isLessThan(deadline);
            Thread.sleep(100);
        }
        return new Running(command, t, exit, port, metrics, audit);
    }

    private static void stop(Running r) throws InterruptedException {
        r.command().stop();
        r.thread().join(30_000);
    }

    private void produce(KafkaProducer<byte[], byte[]> producer, String what) throws Exception {
        String value = what + " " + UUID.randomUUID();
        KafkaClients.send(producer, TOPIC, value);
        acknowledged.add(value);
    }

    private long sample(Running r, String series) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.metricsPort() + "/metrics"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        return res.body().lines().filter(l -> l.startsWith(series + " "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(series.length() + 1).trim())).findFirst().orElse(-1);
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
