package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.EnvelopeFormat;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online re-key, end to end: {@code keyhold server} with an embedded cluster (a real KRaft broker
 * and the encrypting proxy), keys of the server's local KMS, real Kafka clients. The cluster moves
 * from its key to a second one through {@code PATCH /cmk/v2/clusters/{id}} while a producer keeps
 * producing; the old key is then destroyed and everything restarted, and every record written
 * before, during and after the re-key reads back byte for byte. The trail shows CLUSTER_REKEYED
 * with who asked; a key another cluster holds is refused.
 */
class OnlineRekeyTest {
    private static final String KEY = "REKEYKEY";
    private static final String SECRET = "rekey-test-secret-0123456789abcd";

    @TempDir
    Path tmp;

    private final RestClient rest = new RestClient(KEY, SECRET);

    /** The audit events of the running server, as its audit trail publishes them. */
    private final ConcurrentLinkedQueue<AuditEvent> audit = new ConcurrentLinkedQueue<>();

    @Test
    void reKeyingWhileProducingThenDestroyingTheOldKeyLosesNoRecordAcrossARestart() throws Exception {
        List<byte[]> acked = Collections.synchronizedList(new ArrayList<>());
        String cluster;
        String clusterPath;
        String oldRef;
        String newRef;
        try (RunningServer s = start()) {
            String env = s.server().bootstrapEnvironmentId();
            String org = s.server().bootstrapOrganizationId();
            String oldKey = localKey(s, "orders-before");
            String newKey = localKey(s, "orders-after");
            oldRef = org + "/orders-before";
            newRef = org + "/orders-after";
            cluster = cluster(s, env, "orders", oldKey);
            clusterPath = RestClient.clusterPath(cluster, env);
            String endpoint = rest.awaitProvisioned(s.url(), clusterPath);

            // The unique-key rule: a key another cluster holds is refused, and nothing changes.
            String otherKey = localKey(s, "someone-elses");
            cluster(s, env, "other", otherKey);
            JsonNode refused = rest.send(s.url(), "PATCH", "/cmk/v2/clusters/" + cluster, patchByok(env, otherKey), 409);
            assertThat(refused.toString()).contains("already in use by cluster");
            assertThat(rest.send(s.url(), "GET", clusterPath, null, 200).path("spec").path("byok").path("id").asText()).isEqualTo(oldKey);

            try (KafkaProducer<byte[], byte[]> producer = producer(endpoint)) {
                for (int i = 0; i < 50; i++) {
                    send(producer, acked);
                }
                // A producer keeps producing through the re-key: every record it has acknowledged must read back.
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread background = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            send(producer, acked);
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }, "producer-during-rekey");
                background.start();
                int before = acked.size();
                JsonNode patched = rest.send(s.url(), "PATCH", "/cmk/v2/clusters/" + cluster, patchByok(env, newKey), 200);
                assertThat(patched.path("spec").path("byok").path("id").asText()).isEqualTo(newKey);
                Thread.sleep(500);
                stop.set(true);
                background.join(30_000);
                assertThat(failure.get()).as("the producer during the re-key").isNull();
                assertThat(acked.size()).as("records acknowledged while the cluster was re-keyed").isGreaterThan(before);
                for (int i = 0; i < 50; i++) {
                    send(producer, acked);
                }
            }
            assertThat(phase(s, clusterPath)).isEqualTo("PROVISIONED");

            // The re-key wrote, for every cluster key, a wrapping under the new key, and nothing newer under the old one.
            Path logDir = tmp.resolve("data").resolve("clusters").resolve(cluster).resolve("kafka");
            var clusterKeys = StoredEnvelopes.clusterKeys(logDir, cluster);
            assertThat(clusterKeys.values()).isNotEmpty().allSatisfy(w -> assertThat(w.kek().keyId()).isEqualTo(newRef));
            assertThat(StoredEnvelopes.read(logDir)).allSatisfy(e -> {
                assertThat(EnvelopeFormat.kekOf(e).provider()).isEqualTo(ClusterKey.PROVIDER);
                assertThat(clusterKeys).containsKey(EnvelopeFormat.kekOf(e).keyId());
            });

            // The trail: the re-key, with who asked; the old key is released (held), the new one is the cluster's.
            assertThat(audit).filteredOn(e -> e.type() == AuditEventType.CLUSTER_REKEYED && "ok".equals(e.outcome()))
                    .singleElement().satisfies(e -> {
                        assertThat(e.principal()).isEqualTo(KEY);
                        assertThat(e.cluster()).isEqualTo(cluster);
                        assertThat(e.key()).isEqualTo(newKey);
                    });
            RestClient.await(() -> rest.send(s.url(), "GET", "/audit/v1/events?event_type=CLUSTER_REKEYED&cluster=" + cluster, null, 200)
                    .path("data").size() == 1, "CLUSTER_REKEYED in GET /audit/v1/events", Duration.ofSeconds(20));

            // The old key is destroyed for good: the cluster keeps serving (nothing of it needs that key any more).
            rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys/orders-before/schedule-deletion", "{\"waiting_period_days\":7}", 200);
            rest.send(s.url(), "POST", "/keyhold/v1/local-kms/keys/orders-before/destroy", "{}", 200);
            Thread.sleep(HEALTH_INTERVAL.multipliedBy(4).toMillis());
            assertThat(phase(s, clusterPath)).isEqualTo("PROVISIONED");
        }
        assertThat(oldRef).isNotEqualTo(newRef);

        // Everything restarts: the proxy reads its cluster keys again, under the new key only.
        try (RunningServer s = start()) {
            RestClient.await(() -> phase(s, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED after the restart",
                    Duration.ofSeconds(240));
            String endpoint = rest.send(s.url(), "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();
            List<byte[]> read = consumeAll(endpoint, "payments", acked.size());
            assertThat(read).as("every acknowledged record, byte for byte, in order").hasSize(acked.size());
            for (int i = 0; i < acked.size(); i++) {
                assertThat(read.get(i)).as("record " + i).isEqualTo(acked.get(i));
            }
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, List<byte[]> acked) throws Exception {
        byte[] value = new byte[1 + ThreadLocalRandom.current().nextInt(1500)];
        ThreadLocalRandom.current().nextBytes(value);
        synchronized (acked) {
            // one at a time, so acknowledgement order is offset order
            producer.send(new ProducerRecord<>("payments", value)).get(60, TimeUnit.SECONDS);
            acked.add(value);
        }
    }

    private static String patchByok(String env, String byok) {
        return "{\"spec\":{\"environment\":{\"id\":\"" + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}";
    }

    private RunningServer start() throws Exception {
        RunningServer s = RunningServer.start(KEY, SECRET, tmp.resolve("data"), RunningServer.localKmsPassphrase(tmp, "rekey test passphrase"),
                Map.of(), null, RunningServer.freePortRange());
        try {
            audit.clear();
            s.server().config().audit().subscribe(audit::add);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private String localKey(RunningServer s, String name) throws Exception {
        return rest.localKey(s.url(), name);
    }

    private String cluster(RunningServer s, String env, String name, String byok) throws Exception {
        return rest.createCluster(s.url(), env, name, byok);
    }

    private String phase(RunningServer s, String clusterPath) throws Exception {
        return rest.phase(s.url(), clusterPath);
    }

    private static KafkaProducer<byte[], byte[]> producer(String endpoint) {
        return KafkaClients.producer(endpoint, Map.of("request.timeout.ms", 20_000));
    }

    private static List<byte[]> consumeAll(String endpoint, String topic, int n) {
        Properties p = new Properties();
        p.put("bootstrap.servers", endpoint);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        List<byte[]> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }
}
