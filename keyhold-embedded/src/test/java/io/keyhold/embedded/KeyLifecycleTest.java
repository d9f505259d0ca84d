package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.crypto.EnvelopeFormat;
import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key's lifecycle seen by the users of a cluster, end to end: {@code keyhold server} with its
 * embedded clusters (a real KRaft broker and the encrypting proxy), a key of the server's local KMS,
 * real Kafka clients, health interval 1 s. Revoking the key locks the cluster (clients get errors, no
 * DEK stays in memory) and restoring it gives back every acknowledged record; destroying the key
 * crypto-shreds the cluster's records, for good, even across a restart of everything; deleting a
 * cluster locks it before anything else.
 */
class KeyLifecycleTest {
    private static final String KEY = "LIFECYCLEKEY";
    private static final String SECRET = "lifecycle-test-secret-0123456789";
    private static final String PASSPHRASE = "lifecycle test passphrase";

    @TempDir
    Path tmp;

    private Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void disablingTheKeyLocksTheClusterForClientsAndWipesItsDeksEnablingGivesBackEveryAcknowledgedRecord() throws Exception {
        try (RunningServer s = start()) {
            String env = s.server().bootstrapEnvironmentId();
            String cluster = clusterOnNewLocalKey(s, env, "revocable");
            String clusterPath = RestClient.clusterPath(cluster, env);
            String endpoint = rest.send(s.url(), "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

            // Records of every byte value, acknowledged by the cluster before the key is revoked.
            List<byte[]> acked = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = producer(endpoint)) {
                for (int i = 0; i < 200; i++) {
                    byte[] value = new byte[1 + ThreadLocalRandom.current().nextInt(2000)];
                    ThreadLocalRandom.current().nextBytes(value);
                    producer.send(new ProducerRecord<>("payments", value)).get();
                    acked.add(value);
                }
            }
            assertThat(deksInMemory(s)).as("DEKs cached while serving").isPositive();
            // A consumer that was reading before the revocation, and keeps its connection.
            try (KafkaConsumer<byte[], byte[]> reader = consumer(endpoint)) {
                reader.subscribe(List.of("payments"));
                assertThat(pollUntil(reader, acked.size())).hasSize(acked.size());

                long disabledAt = System.nanoTime();
                rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys/revocable/disable", "{}", 200);
                RestClient.await(() -> phase(s, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(20));
                Duration toLocked = Duration.ofNanos(System.nanoTime() - disabledAt);
                System.out.println("KeyLifecycleTest: local key disabled -> cluster LOCKED in " + toLocked.toMillis()
                        + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
                // 3 intervals by design (one, measured by bench/lock.sh); the slack is for a loaded machine, not the design
                assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(5));

                assertThat(deksInMemory(s)).as("DEKs left in the proxy's caches once LOCKED").isZero();
                try (KafkaProducer<byte[], byte[]> producer = producer(endpoint)) {
                    assertThatThrownBy(() -> producer.send(new ProducerRecord<>("payments", "while locked".getBytes(StandardCharsets.UTF_8)))
                            .get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                            .hasCauseInstanceOf(TopicAuthorizationException.class);
                }
                reader.seekToBeginning(reader.assignment());
                assertThatThrownBy(() -> pollUntil(reader, 1)).as("the connected consumer's poll")
                        .isInstanceOf(TopicAuthorizationException.class);
            }
            try (KafkaConsumer<byte[], byte[]> fresh = consumer(endpoint)) {
                fresh.subscribe(List.of("payments"));
                assertThatThrownBy(() -> pollUntil(fresh, 1)).as("a new consumer's poll").isInstanceOf(TopicAuthorizationException.class);
            }

            rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys/revocable/enable", "{}", 200);
            RestClient.await(() -> phase(s, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again",
                    HEALTH_INTERVAL.multipliedBy(20));
            try (KafkaConsumer<byte[], byte[]> again = consumer(endpoint)) {
                again.subscribe(List.of("payments"));
                List<byte[]> read = pollUntil(again, acked.size());
                assertThat(read).hasSize(acked.size());
                for (int i = 0; i < acked.size(); i++) {
                    assertThat(read.get(i)).as("record %d, byte for byte", i).isEqualTo(acked.get(i));
                }
            }

            // Every step in the audit trail, in order: the key refused, the cluster locked; the cluster unlocked, the key valid again.
            awaitEvent(s, "event_type=KEY_VALIDATED&cluster=" + cluster);
            assertThat(auditTypes(s, cluster)).containsSubsequence(AuditEventType.KEY_INVALIDATED.name(),
                    AuditEventType.CLUSTER_LOCKED.name(), AuditEventType.CLUSTER_UNLOCKED.name(), AuditEventType.KEY_VALIDATED.name());
            JsonNode locked = awaitEvent(s, "event_type=CLUSTER_LOCKED&cluster=" + cluster);
            assertThat(locked.path("principal").asText()).isEqualTo("system");
            assertThat(locked.path("message").asText()).containsIgnoringCase("disabled");
        }
    }

    @Test
    void destroyingTheKeyCryptoShredsTheClusterEvenAfterAFullRestart() throws Exception {
        String canary = "SHRED-CANARY-" + UUID.randomUUID();
        String env;
        String cluster;
        String clusterPath;
        String endpoint;
        String shredRef;
        try (RunningServer s = start()) {
            env = s.server().bootstrapEnvironmentId();
            cluster = clusterOnNewLocalKey(s, env, "shred-me");
            rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys", "{\"name\":\"bystander\"}", 201);
            clusterPath = RestClient.clusterPath(cluster, env);
            endpoint = rest.send(s.url(), "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();
            EmbeddedClustersTest.produce(endpoint, "secrets", canary + "-1", canary + "-2", canary + "-3");
            assertThat(EmbeddedClustersTest.consume(endpoint, "secrets", 3)).containsExactly(canary + "-1", canary + "-2", canary + "-3");
            shredRef = s.server().bootstrapOrganizationId() + "/shred-me";
            // The harness can open the cluster's keys on disk while the key lives: the check after the destroy means something.
            assertThat(StoredEnvelopes.clusterKeysOpenedWith(logDir(cluster), localKms(), cluster, new KekRef("local", shredRef, "1")))
                    .containsExactlyInAnyOrderElementsOf(StoredEnvelopes.clusterKeys(logDir(cluster), cluster).keySet()).isNotEmpty();

            // Destroyed for good, in the local KMS's two steps.
            rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys/shred-me/schedule-deletion", "{\"waiting_period_days\":7}", 200);
            rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys/shred-me/destroy", "{}", 200);
            RestClient.await(() -> phase(s, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(20));
            JsonNode destroyed = awaitEvent(s, "event_type=KEY_DESTROYED&cluster=" + cluster);
            assertThat(destroyed.path("cluster").asText()).isEqualTo(cluster);
            assertThat(destroyed.path("principal").asText()).isEqualTo(KEY);
        }

        // Everything stops; a fresh server on the same data directory brings the cluster back.
        try (RunningServer s = start()) {
            Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis()); // several health checks: nothing unlocks it
            assertThat(phase(s, clusterPath)).isEqualTo("LOCKED");
            String lockedEndpoint = endpoint;
            assertThatThrownBy(() -> EmbeddedClustersTest.consume(lockedEndpoint, "secrets", 1)).as("a consumer after the restart")
                    .isInstanceOf(TopicAuthorizationException.class);
            assertThat(OnDisk.plaintext(logDir(cluster), canary)).as("plaintext on the broker's disk").isEmpty();

            List<byte[]> stored = StoredEnvelopes.read(logDir(cluster));
            assertThat(stored).hasSizeGreaterThanOrEqualTo(3);
            // Every record is under a cluster key of the key topic, and every cluster key is wrapped under the destroyed key
            // only: a record DEK derives from its cluster key and nothing else, so what opens no cluster key opens no record.
            var clusterKeys = StoredEnvelopes.clusterKeys(logDir(cluster), cluster);
            assertThat(clusterKeys.values()).isNotEmpty().allSatisfy(w -> assertThat(w.kek().keyId()).isEqualTo(shredRef));
            assertThat(stored).allSatisfy(e -> {
                assertThat(EnvelopeFormat.kekOf(e).provider()).isEqualTo(ClusterKey.PROVIDER);
                assertThat(clusterKeys).containsKey(EnvelopeFormat.kekOf(e).keyId());
            });
            // No key the local KMS still holds, in any version, opens any cluster key: not the destroyed one, not another.
            try (LocalKms kms = LocalKms.open(localKms())) {
                List<KekRef> candidates = new ArrayList<>();
                candidates.add(new KekRef("local", shredRef, "1"));
                for (KeyInfo k : kms.list()) {
                    for (int v = 1; v <= Integer.parseInt(k.currentVersion()); v++) {
                        candidates.add(new KekRef("local", k.keyId(), Integer.toString(v)));
                    }
                }
                assertThat(candidates).hasSizeGreaterThanOrEqualTo(2);
                for (KekRef candidate : candidates) {
                    assertThat(StoredEnvelopes.clusterKeysOpenedWith(logDir(cluster), localKms(), cluster, candidate))
                            .as("cluster keys opened with " + candidate).isEmpty();
                }
            }
        }
    }

    @Test
    void deletingAClusterLocksItBeforeAnythingElseAndAuditsEveryStep() throws Exception {
        try (RunningServer s = start()) {
            String env = s.server().bootstrapEnvironmentId();
            String cluster = clusterOnNewLocalKey(s, env, "deleted-with-cluster");
            String clusterPath = RestClient.clusterPath(cluster, env);
            String endpoint = rest.send(s.url(), "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();
            EmbeddedClustersTest.produce(endpoint, "orders", "order-1", "order-2");

            // A client connected through the proxy for the whole delete, producing and reading all along.
            ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> readAt = new ConcurrentLinkedQueue<>();
            // Stopped by this flag, not by interrupting: the client's catch-alls would swallow an interrupt, and a
            // producer left running writes into whatever cluster later listens on the same port.
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread client = new Thread(() -> {
                // max.block.ms: once the cluster is gone a send waits for metadata, by default for 60 s,
                // longer than the test waits for this thread to see its stop flag
                KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(endpoint, Map.of("delivery.timeout.ms", 20_000,
                        "request.timeout.ms", 10_000, "max.block.ms", 5_000));
                KafkaConsumer<byte[], byte[]> consumer = consumer(endpoint);
                try {
                    consumer.subscribe(List.of("orders"));
                    while (!stop.get()) {
                        try {
                            long sent = System.currentTimeMillis();
                            producer.send(new ProducerRecord<>("orders", "during delete".getBytes(StandardCharsets.UTF_8))).get(5, TimeUnit.SECONDS);
                            acked.add(sent); // judged against the lock's time below
                        } catch (Exception e) {
                            // refused: what we want once the delete is accepted
                        }
                        try {
                            long polled = System.currentTimeMillis();
                            if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) {
                                readAt.add(polled);
                            }
                            consumer.seekToBeginning(consumer.assignment());
                        } catch (KafkaException e) {
                            // refused
                        }
                    }
                } catch (RuntimeException e) {
                    // the proxy went away
                } finally {
                    // Without a timeout, close waits for unsent records forever, retrying the endpoint's port,
                    // which a later test's cluster may listen on.
                    producer.close(Duration.ZERO);
                    consumer.close(Duration.ZERO);
                }
            });
            client.setDaemon(true);
            client.start();
            long lockedAt;
            try {
                Thread.sleep(2000); // the client is connected and reading

                rest.send(s.url(), "DELETE", clusterPath, null, 204);
                // The server records CLUSTER_LOCKED once the data plane confirmed the lock, before it deletes
                // anything: from that instant (wall clock, as the client's) nothing may be served.
                lockedAt = java.time.Instant.parse(awaitEvent(s, "event_type=CLUSTER_LOCKED&cluster=" + cluster).path("time").asText())
                        .toEpochMilli();
                Thread.sleep(3000);
            } finally {
                stop.set(true);
                client.join(30_000);
            }
            assertThat(client.isAlive()).as("the client stopped").isFalse();
            long lockTime = lockedAt;
            assertThat(acked).as("produces acknowledged before the delete (the client works)").isNotEmpty();
            assertThat(acked).as("produces sent after the lock and acknowledged all the same").noneMatch(t -> t > lockTime);
            assertThat(readAt).as("fetches after the lock that returned records").noneMatch(t -> t > lockTime);

            // Each step audited, in order: locked (DEKs wiped) before deleted.
            awaitEvent(s, "event_type=CLUSTER_DELETED&cluster=" + cluster);
            assertThat(auditTypes(s, cluster)).containsSubsequence(AuditEventType.CLUSTER_LOCKED.name(), AuditEventType.DEK_PURGED.name(),
                    AuditEventType.CLUSTER_DELETED.name());
            JsonNode locked = awaitEvent(s, "event_type=CLUSTER_LOCKED&cluster=" + cluster);
            assertThat(locked.path("message").asText()).isEqualTo("cluster deleted");
            assertThat(locked.path("principal").asText()).isEqualTo(KEY);
            // embedded Kafka: the data is destroyed
            RestClient.await(() -> !Files.exists(dataDir.resolve("clusters").resolve(cluster)), "the cluster's data destroyed",
                    Duration.ofSeconds(30));
            rest.send(s.url(), "GET", clusterPath, null, 404);
        }
    }

    /**
     * The oldest event of the audit trail (GET /audit/v1/events, its durable store) that {@code query} selects, once there
     * is one: the trail is written asynchronously, a few milliseconds after the step.
     */
    private JsonNode awaitEvent(RunningServer s, String query) throws Exception {
        JsonNode[] found = new JsonNode[1];
        RestClient.await(() -> {
            JsonNode data = rest.send(s.url(), "GET", "/audit/v1/events?page_size=100&" + query, null, 200).path("data");
            found[0] = data.isEmpty() ? null : data.get(data.size() - 1);
            return found[0] != null;
        }, "an audit event " + query, Duration.ofSeconds(30));
        return found[0];
    }

    /** The types of a cluster's events in the audit trail, oldest first (the API lists newest first). */
    private List<String> auditTypes(RunningServer s, String cluster) throws Exception {
        List<String> types = new ArrayList<>();
        rest.send(s.url(), "GET", "/audit/v1/events?page_size=100&cluster=" + cluster, null, 200).path("data")
                .forEach(e -> types.add(0, e.path("event_type").asText()));
        return types;
    }

    private RunningServer start() throws Exception {
        dataDir = tmp.resolve("data");
        return RunningServer.start(KEY, SECRET, dataDir, RunningServer.localKmsPassphrase(tmp, PASSPHRASE), Map.of(), null);
    }

    /** A local KMS key {@code name}, a key object on it, and a PROVISIONED cluster encrypted with it; returns the cluster id. */
    private String clusterOnNewLocalKey(RunningServer s, String env, String name) throws Exception {
        String cluster = rest.createCluster(s.url(), env, name, rest.localKey(s.url(), name));
        rest.awaitProvisioned(s.url(), RestClient.clusterPath(cluster, env));
        return cluster;
    }

    private String phase(RunningServer s, String clusterPath) throws Exception {
        return rest.phase(s.url(), clusterPath);
    }

    /** Plaintext DEKs the proxies of this organization hold now, from {@code GET /metrics} (counts, never keys). */
    private long deksInMemory(RunningServer s) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url() + "/metrics"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString((KEY + ":" + SECRET)
                        .getBytes(StandardCharsets.UTF_8))).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> lines = r.body().lines().filter(l -> l.startsWith("keyhold_proxy_deks{")).toList();
        assertThat(lines).as("the DEK gauges in /metrics").isNotEmpty();
        return lines.stream().mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The data directory's local KMS, opened as the server opens it. */
    private LocalKmsOptions localKms() {
        return LocalKmsOptions.of(dataDir, PASSPHRASE.toCharArray());
    }

    private Path logDir(String cluster) {
        return dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
    }

    /** A producer whose sends end within the 30 s the test waits for one (its delivery timeout 20 s). */
    private static KafkaProducer<byte[], byte[]> producer(String endpoint) {
        return KafkaClients.producer(endpoint, Map.of("delivery.timeout.ms", 20_000, "request.timeout.ms", 10_000));
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String endpoint) {
        return KafkaClients.consumer(endpoint, Map.of());
    }

    /** Polls until {@code n} records came (30 s at most); a refusal propagates as the client throws it. */
    private static List<byte[]> pollUntil(KafkaConsumer<byte[], byte[]> consumer, int n) {
        List<byte[]> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (out.size() < n && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                out.add(r.value());
            }
        }
        return out;
    }
}
