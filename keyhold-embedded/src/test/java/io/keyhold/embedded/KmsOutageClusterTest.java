package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.aws.FakeCredentials;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.KmsFakeAdmin.CanCauseOutages.Outage;
import io.keyhold.server.KeyholdServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KMS outage is not a revocation, end to end: {@code keyhold server} with an embedded cluster keyed
 * by an AWS key (the real AWS SDK against the wire-level fake of KMS), real Kafka Java clients, a
 * health interval of 1 s and a grace period of 5 s. While the fake answers 503, and again while it
 * hangs, the cluster stays PROVISIONED and keeps serving produce and consume from its cached DEKs;
 * its status shows the outage and since when, its metrics count it; past the grace period it locks
 * with reason "KMS unreachable since ...", refusing produce and fetch and holding no DEK; when the
 * KMS is back it unlocks and every acknowledged record reads back byte for byte. A revocation (the key
 * disabled), by contrast, locks within a few intervals, without grace. Webhooks receive
 * the events, signed; one that hangs and one that answers 500 do not delay the lock.
 */
@ExtendWith(FakeCredentials.class) // the SDK's default chain reads the fake's credentials from system properties
class KmsOutageClusterTest {
    private static final String KEY = "OUTAGEKEY";
    private static final String SECRET = "outage-e2e-test-secret-0123456789";
    private static final String HOOK_SECRET = "webhook-secret-0123456789abcdef";
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final String TOPIC = "payments";

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<String> acknowledged = new ArrayList<>();

    @Test
    void anUnreachableKmsKeepsTheClusterServingThroughTheGracePeriodThenLocksWithThatReasonAndUnlocksWhenItIsBack()
            throws Exception {
        try (FakeAwsKms aws = FakeAwsKms.start("us-west-2");
             WebhookReceiver hook = new WebhookReceiver(HOOK_SECRET, WebhookReceiver.Behaviour.OK);
             WebhookReceiver hanging = new WebhookReceiver(HOOK_SECRET, WebhookReceiver.Behaviour.HANG);
             WebhookReceiver failing = new WebhookReceiver(HOOK_SECRET, WebhookReceiver.Behaviour.ERROR_500)) {
            String keyArn = aws.createKey();
            Path yaml = dataDir.resolve("server.yaml");
            // The hanging and failing webhooks come first: a lock must not wait for them.
            Files.writeString(yaml, String.join("\n",
                    "notifications:",
                    "  - url: " + hanging.url(),
                    "    secret-env: HOOK_SECRET",
                    "  - url: " + failing.url(),
                    "    secret-env: HOOK_SECRET",
                    "  - url: " + hook.url(),
                    "    events: [lock, unlock, outage]",
                    "    secret-env: HOOK_SECRET", ""));
            try (RunningServer running = RunningServer.start(KEY, SECRET, dataDir, Map.of("kms-unavailable-grace", GRACE.toSeconds() + "s",
                    "aws-roles", "arn:aws:iam::111122223333:role/keyhold"),
                    Map.of("KEYHOLD_KMS_AWS_ENDPOINT", aws.endpoint().toString(), "HOOK_SECRET", HOOK_SECRET), yaml)) {
                KeyholdServer server = running.server();
                String url = server.url();
                String env = server.bootstrapEnvironmentId();
                String byok = rest.registerKey(url, "{\"kind\":\"AwsKey\",\"key_arn\":\"" + keyArn + "\"}").get("id").asText();
                String cluster = rest.createCluster(url, env, "outage", "AWS", "us-west-2", byok);
                String clusterPath = RestClient.clusterPath(cluster, env);
                String endpoint = rest.awaitProvisioned(url, clusterPath);

                try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(endpoint)) {
                    produce(producer, "before any outage");
                    assertThat(KafkaClients.readAll(endpoint, TOPIC, acknowledged.size(), Duration.ofSeconds(60)))
                            .containsExactlyElementsOf(acknowledged);

                    outageThenRecovery(aws, Outage.ERROR_503, url, clusterPath, cluster, endpoint, producer);
                    outageThenRecovery(aws, Outage.HANG, url, clusterPath, cluster, endpoint, producer);

                    // A revocation, by contrast, locks within a few intervals, without any grace.
                    long disabledAt = System.nanoTime();
                    aws.disable(keyArn);
                    RestClient.await(() -> status(url, clusterPath).path("phase").asText().equals("LOCKED"), "LOCKED on disable",
                            HEALTH_INTERVAL.multipliedBy(10));
                    Duration toLocked = Duration.ofNanos(System.nanoTime() - disabledAt);
                    System.out.println("AWS key disabled -> cluster LOCKED in " + toLocked.toMillis() + " ms");
                    assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(3));
                    assertThat(status(url, clusterPath).path("message").asText()).startsWith("The key is disabled in its KMS");
                    assertThat(status(url, clusterPath).has("kms")).as("a refusal is not an outage").isFalse();
                    assertLockedAndEmpty(url, cluster, endpoint, producer);
                    aws.enable(keyArn);
                    RestClient.await(() -> status(url, clusterPath).path("phase").asText().equals("PROVISIONED"), "unlocked on enable",
                            HEALTH_INTERVAL.multipliedBy(10));
                    produce(producer, "after enable");
                    assertThat(KafkaClients.readAll(endpoint, TOPIC, acknowledged.size(), Duration.ofSeconds(60)))
                            .containsExactlyElementsOf(acknowledged);
                }

                // The good webhook saw both outages, each event once, signed; the bad ones never held anything up.
                RestClient.await(() -> hook.types(cluster).size() >= 10, "10 notifications", Duration.ofSeconds(30));
                assertThat(hook.types(cluster)).containsExactly(
                        "KMS_UNAVAILABLE", "CLUSTER_LOCKED", "KMS_AVAILABLE", "CLUSTER_UNLOCKED",
                        "KMS_UNAVAILABLE", "CLUSTER_LOCKED", "KMS_AVAILABLE", "CLUSTER_UNLOCKED",
                        "CLUSTER_LOCKED", "CLUSTER_UNLOCKED");
                assertThat(hook.badSignatures()).isZero();
                JsonNode lock = hook.verified().stream().filter(n -> n.path("type").asText().equals("CLUSTER_LOCKED")).findFirst()
                        .orElseThrow();
                assertThat(lock.path("key").asText()).isEqualTo(byok);
                assertThat(lock.path("reason").asText()).startsWith("KMS unreachable since ");
                assertThat(Instant.parse(lock.path("time").asText())).isBefore(Instant.now());
                assertThat(failing.requests()).as("the failing webhook was retried").isGreaterThan(1);
                assertThat(hanging.requests()).isPositive();
            }
        }
    }

    private void outageThenRecovery(FakeAwsKms aws, Outage outage, String url, String clusterPath, String cluster, String endpoint,
                                    KafkaProducer<byte[], byte[]> producer) throws Exception {
        long started = System.nanoTime();
        aws.outage(outage);
        RestClient.await(() -> status(url, clusterPath).path("kms").path("condition").asText().equals("UNAVAILABLE"),
                outage + ": status shows the KMS unavailable", HEALTH_INTERVAL.multipliedBy(10));
        JsonNode during = status(url, clusterPath);
        assertThat(during.path("phase").asText()).as(outage + ": within the grace period the cluster serves").isEqualTo("PROVISIONED");
        Instant since = Instant.parse(during.path("kms").path("unavailable_since").asText());
        assertThat(since).isBefore(Instant.now().plusSeconds(1));
        assertThat(during.path("kms").path("message").asText()).isNotEmpty();

        // Produce and consume keep working from the cached DEKs (as long as the grace period lasts).
        produce(producer, outage + " during the grace period");
        assertThat(KafkaClients.readAll(endpoint, TOPIC, acknowledged.size(), Duration.ofSeconds(30)))
                .as(outage + ": consumers read everything during the grace period").containsExactlyElementsOf(acknowledged);
        String metrics = metrics(url);
        String c = "{cluster=\"" + cluster + "\"}";
        assertThat(metrics).contains("keyhold_proxy_kms_unavailable_since_seconds" + c + " " + since.getEpochSecond());
        assertThat(counter(metrics, "keyhold_proxy_kms_unavailable_checks_total" + c)).isPositive();

        // Past the grace period: LOCKED, with the reason, however long the webhooks take.
        RestClient.await(() -> status(url, clusterPath).path("phase").asText().equals("LOCKED"), outage + ": LOCKED after the grace",
                GRACE.plus(HEALTH_INTERVAL.multipliedBy(10)));
        Duration toLock = Duration.ofNanos(System.nanoTime() - started);
        System.out.println(outage + ": KMS down -> cluster LOCKED in " + toLock.toMillis() + " ms (grace " + GRACE.toMillis() + " ms)");
        assertThat(toLock).isGreaterThanOrEqualTo(GRACE);
        JsonNode locked = status(url, clusterPath);
        assertThat(locked.path("message").asText()).startsWith("KMS unreachable since ");
        assertThat(locked.path("kms").path("condition").asText()).isEqualTo("UNAVAILABLE");
        assertLockedAndEmpty(url, cluster, endpoint, producer);

        // The KMS is back: the cluster unlocks, and every acknowledged record reads back byte for byte.
        aws.outage(Outage.NONE);
        RestClient.await(() -> status(url, clusterPath).path("phase").asText().equals("PROVISIONED"), outage + ": unlocked",
                HEALTH_INTERVAL.multipliedBy(15));
        assertThat(status(url, clusterPath).has("kms")).as("no outage in the status any more").isFalse();
        produce(producer, outage + " after recovery");
        assertThat(KafkaClients.readAll(endpoint, TOPIC, acknowledged.size(), Duration.ofSeconds(60)))
                .containsExactlyElementsOf(acknowledged);
        assertThat(metrics(url)).contains("keyhold_proxy_kms_unavailable_since_seconds" + c + " 0");
    }

    /** Produce and fetch are refused, and the proxy holds no DEK. */
    private void assertLockedAndEmpty(String url, String cluster, String endpoint, KafkaProducer<byte[], byte[]> producer)
            throws Exception {
        assertThatThrownBy(() -> KafkaClients.send(producer, TOPIC, "refused"))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(endpoint, Map.of())) {
            consumer.subscribe(List.of(TOPIC));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 150; i++) {
                    assertThat(consumer.poll(Duration.ofMillis(200))).as("a locked cluster hands out no record").isEmpty();
                }
            }).isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(metrics(url)).contains("keyhold_proxy_locked{cluster=\"" + cluster + "\"} 1")
                .contains("keyhold_proxy_deks{cluster=\"" + cluster + "\",cache=\"encryption\"} 0")
                .contains("keyhold_proxy_deks{cluster=\"" + cluster + "\",cache=\"decryption\"} 0");
    }

    private void produce(KafkaProducer<byte[], byte[]> producer, String what) throws Exception {
        String value = what + " " + UUID.randomUUID();
        KafkaClients.send(producer, TOPIC, value);
        acknowledged.add(value);
    }

    private JsonNode status(String url, String clusterPath) throws Exception {
        return rest.send(url, "GET", clusterPath, null, 200).path("status");
    }

    private String metrics(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET)
                        .getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static long counter(String metrics, String series) {
        return metrics.lines().filter(l -> l.startsWith(series + " ")).mapToLong(l -> (long) Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElse(-1);
    }
}
