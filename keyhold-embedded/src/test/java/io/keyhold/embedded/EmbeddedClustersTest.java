package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster's whole life on one machine: created, used, restarted with its data, locked, deleted. */
class EmbeddedClustersTest {
    @TempDir
    Path dataDir;

    @Test
    void clusterRunsSurvivesRestartLocksAndIsDeletedWithItsData() throws Exception {
        char[] passphrase = "embedded test passphrase".toCharArray();
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, passphrase))) {
            kms.create("cluster-key");
            ClusterKeys keys = (id, kind, key) -> new ClusterKeys.ClusterKey(kms, key);
            int base = freeRangeStart();
            EmbeddedClusters.Settings settings = new EmbeddedClusters.Settings(dataDir, "127.0.0.1", "127.0.0.1", base, base + 20);
            String canary = "EMBEDDED-CANARY-" + UUID.randomUUID();
            String endpoint;
            try (EmbeddedClusters clusters = new EmbeddedClusters(settings, keys)) {
                endpoint = clusters.start("lkc-test1", "local", "cluster-key");
                int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
                assertThat(endpoint).startsWith("127.0.0.1:");
                assertThat(port).isBetween(base, base + 19); // busy ports in the range are skipped
                produce(endpoint, "orders", canary + "-1", canary + "-2");
                assertThat(consume(endpoint, "orders", 2)).containsExactly(canary + "-1", canary + "-2");
            }
            // The server stopped; its clusters come back on the same endpoint with their data.
            try (EmbeddedClusters clusters = new EmbeddedClusters(settings, keys)) {
                assertThat(clusters.known()).containsExactly("lkc-test1");
                assertThat(clusters.start("lkc-test1", "local", "cluster-key")).isEqualTo(endpoint);
                assertThat(consume(endpoint, "orders", 2)).containsExactly(canary + "-1", canary + "-2");
                assertThat(filesContaining(dataDir.resolve("clusters/lkc-test1"), canary)).isEmpty();

                clusters.lock("lkc-test1");
                assertThatThrownBy(() -> produce(endpoint, "orders", "while locked"))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            // Locked when the server stopped: comes back locked.
            try (EmbeddedClusters clusters = new EmbeddedClusters(settings, keys)) {
                clusters.start("lkc-test1", "local", "cluster-key");
                assertThatThrownBy(() -> produce(endpoint, "orders", "still locked"))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
                clusters.unlock("lkc-test1");
                produce(endpoint, "orders", canary + "-3");

                clusters.delete("lkc-test1");
                assertThat(dataDir.resolve("clusters/lkc-test1")).doesNotExist();
                assertThat(clusters.endpoint("lkc-test1")).isEmpty();
                assertThat(clusters.known()).isEmpty();
            }
        }
    }

    @Test
    void refusesIdsThatAreNotSafeDirectoryNames() {
        EmbeddedClusters clusters = new EmbeddedClusters(new EmbeddedClusters.Settings(dataDir, "127.0.0.1", "127.0.0.1", 20000, 20010),
                (id, kind, key) -> {
                    throw new AssertionError("not reached");
                });
        assertThatThrownBy(() -> clusters.start("../etc", "local", "k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> clusters.delete("a/b")).isInstanceOf(IllegalArgumentException.class);
    }

    static int freeRangeStart() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            int p = s.getLocalPort();
            return p > 60000 ? 40000 : p + 1; // a neighbourhood of a free port; the runtime skips busy ones
        }
    }

    static void produce(String bootstrap, String topic, String... values) throws Exception {
        produce(bootstrap, Map.of(), topic, values);
    }

    /** As {@link #produce(String, String, String...)} with client settings such as {@code security.protocol}. */
    static void produce(String bootstrap, Map<String, ?> security, String topic, String... values) throws Exception {
        Properties p = new Properties();
        p.putAll(security);
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("delivery.timeout.ms", 20_000);
        p.put("request.timeout.ms", 10_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(topic, v)).get();
            }
        }
    }

    static List<String> consume(String bootstrap, String topic, int n) {
        return consume(bootstrap, Map.of(), topic, n);
    }

    static List<String> consume(String bootstrap, Map<String, ?> security, String topic, int n) {
        Properties p = new Properties();
        p.putAll(security);
        p.put("bootstrap.servers", bootstrap);
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        p.put("group.id", "g-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
        }
        return out;
    }

    static List<Path> filesContaining(Path dir, String needle) throws IOException {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        List<Path> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] b;
                try {
                    b = Files.readAllBytes(f);
                } catch (IOException e) {
                    continue;
                }
                outer:
                for (int i = 0; i + n.length <= b.length; i++) {
                    for (int j = 0; j < n.length; j++) {
                        if (b[i + j] != n[j]) {
                            continue outer;
                        }
                    }
                    hits.add(f);
                    break;
                }
            }
        }
        return hits;
    }
}
