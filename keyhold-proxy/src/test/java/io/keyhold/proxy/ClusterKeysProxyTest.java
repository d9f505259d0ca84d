package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Record DEKs derived from cluster keys kept in the Kafka cluster itself: the Kafka cluster and the
 * customer's KMS are enough to read every record, with no KMS call per topic or DEK. Real broker,
 * real clients; each test uses its own Keyhold cluster id, so its own cluster keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterKeysProxyTest {
    private KafkaTestCluster kafka;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
    }

    @AfterAll
    void stop() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    private KeyholdProxy proxy(String cluster, TestKms kms) {
        return KeyholdProxy.start(ProxyConfig.builder(cluster, List.of(kafka.bootstrapServers()), "kek-" + cluster)
                .clusterKeys(ProxyConfig.ClusterKeys.DEFAULT).build(), kms);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void produce(KeyholdProxy p, String topic, int from, int count, Map<String, Object> extra) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(p.bootstrapServers(), extra)) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, utf8("k" + i), utf8("value " + i))).get();
            }
        }
    }

    private static List<String> readAll(KeyholdProxy p, String topic, int expected) {
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(p.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of(topic));
            return Clients.poll(consumer, expected, Duration.ofSeconds(60)).stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
        }
    }

    private static List<String> values(int from, int count) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            out.add("value " + i);
        }
        return out;
    }

    @Test
    void aNewProxyWithNothingButTheKafkaAndTheKmsReadsEverythingAndKmsCallsDoNotGrowWithTopics() throws Exception {
        TestKms kms = new TestKms();
        for (String t : List.of("ck-a", "ck-b", "ck-c")) {
            kafka.createTopic(t, 1, Map.of());
        }
        try (KeyholdProxy first = proxy("c-survive", kms)) {
            for (String t : List.of("ck-a", "ck-b", "ck-c")) {
                produce(first, t, 0, 20, Map.of());
            }
            // One cluster key generated and read back: no KMS call per topic or per DEK.
            assertThat(kms.generated.get()).isEqualTo(1);
            assertThat(kms.unwrapped.get()).isEqualTo(1);
        }
        // The first proxy, its memory and whatever it had are gone; a new one starts from the Kafka cluster alone.
        try (KeyholdProxy second = proxy("c-survive", kms)) {
            for (String t : List.of("ck-a", "ck-b", "ck-c")) {
                assertThat(readAll(second, t, 20)).containsExactlyElementsOf(values(0, 20));
            }
            assertThat(kms.generated.get()).as("no new cluster key: the stored one is used").isEqualTo(1);
            assertThat(kms.unwrapped.get()).isEqualTo(2);
        }
        // What the broker stores names the cluster key, not a KMS ciphertext: a fixed, small overhead.
        try (KafkaConsumer<byte[], byte[]> direct = Clients.consumer(kafka.bootstrapServers(), Map.of())) {
            direct.subscribe(List.of("ck-a"));
            ConsumerRecord<byte[], byte[]> stored = Clients.poll(direct, 1, Duration.ofSeconds(30)).get(0);
            // The compact envelope: magic and version 3, CK id 8, DEK id 12, IV counter 4, tag 16; and the short marker.
            assertThat(stored.value().length - 1 - "value 0".length()).as("envelope overhead").isEqualTo(3 + 8 + 12 + 4 + 16);
            assertThat(stored.headers().toArray()).extracting(h -> h.key()).containsExactly("kh");
        }
    }

    @Test
    void twoProxiesStartingTogetherConvergeOnDataBothRead() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("ck-race", 1, Map.of());
        try (KeyholdProxy a = proxy("c-race", kms); KeyholdProxy b = proxy("c-race", kms)) {
            Thread other = new Thread(() -> {
                try {
                    produce(b, "ck-race", 100, 10, Map.of());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            other.start();
            produce(a, "ck-race", 0, 10, Map.of());
            other.join(60_000);
            assertThat(readAll(a, "ck-race", 20)).containsExactlyInAnyOrderElementsOf(concat(values(0, 10), values(100, 10)));
            assertThat(readAll(b, "ck-race", 20)).containsExactlyInAnyOrderElementsOf(concat(values(0, 10), values(100, 10)));
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Test
    void aLockWipesTheClusterKeysAndAnUnlockReadsThemBackFromTheKafka() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("ck-lock", 1, Map.of());
        try (KeyholdProxy p = proxy("c-lock", kms)) {
            produce(p, "ck-lock", 0, 5, Map.of());
            assertThat(p.clusterKeyCount()).isEqualTo(1);
            assertThat(p.lock()).isTrue();
            assertThat(p.clusterKeyCount()).isZero();
            assertThat(p.dekCount()).isZero();
            assertThat(kms.forgotten).as("keys the KMS connection was told to forget").containsExactly("kek-c-lock");
            p.unlock();
            assertThat(readAll(p, "ck-lock", 5)).containsExactlyElementsOf(values(0, 5));
            assertThat(kms.generated.get()).isEqualTo(1);
        }
    }

    @Test
    void withTheCustomersKeyGoneNoProxyReadsAnythingAfterARestart() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("ck-shred", 1, Map.of());
        try (KeyholdProxy p = proxy("c-shred", kms)) {
            produce(p, "ck-shred", 0, 5, Map.of());
        }
        kms.denied = true; // the customer disabled or destroyed the key
        try (KeyholdProxy p = proxy("c-shred", kms);
             KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(p.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of("ck-shred"));
            assertThatThrownBy(() -> Clients.poll(consumer, 5, Duration.ofSeconds(30))).isInstanceOf(TopicAuthorizationException.class);
            assertThat(p.clusterKeyCount()).isZero();
            assertThatThrownBy(() -> produce(p, "ck-shred", 5, 1, Map.of("delivery.timeout.ms", 15_000, "request.timeout.ms", 10_000)))
                    .hasRootCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aRunningProxyAsksTheKmsAgainEachTtlAndStopsWhenTheKeyIsGone() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("ck-ttl", 1, Map.of());
        ProxyConfig config = ProxyConfig.builder("c-ttl", List.of(kafka.bootstrapServers()), "kek-c-ttl")
                .clusterKeys(new ProxyConfig.ClusterKeys(Map.of(), Duration.ofSeconds(2)))
                .dekRotation(new io.keyhold.crypto.DekRotationPolicy(1_000_000, Duration.ofSeconds(1))).build();
        try (KeyholdProxy p = KeyholdProxy.start(config, kms)) {
            produce(p, "ck-ttl", 0, 3, Map.of());
            int unwrapsBefore = kms.unwrapped.get();
            Thread.sleep(3_000);
            produce(p, "ck-ttl", 3, 3, Map.of()); // past the TTL: the cluster key is unwrapped again, and still works
            assertThat(kms.unwrapped.get()).isGreaterThan(unwrapsBefore);
            assertThat(readAll(p, "ck-ttl", 6)).containsExactlyElementsOf(values(0, 6));
            kms.denied = true; // the customer disables the key; no lock, no restart
            Thread.sleep(3_000);
            assertThatThrownBy(() -> produce(p, "ck-ttl", 6, 1, Map.of("delivery.timeout.ms", 15_000, "request.timeout.ms", 10_000)))
                    .hasRootCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aClusterKeyPastItsMaxAgeGivesWayToANewOneForNewRecordsAndTheOldRecordsStillRead() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("ck-age", 1, Map.of());
        ProxyConfig config = ProxyConfig.builder("c-age", List.of(kafka.bootstrapServers()), "kek-c-age")
                .clusterKeys(new ProxyConfig.ClusterKeys(Map.of(), Duration.ofSeconds(2), Duration.ofSeconds(2)))
                .dekRotation(new io.keyhold.crypto.DekRotationPolicy(1_000_000, Duration.ofSeconds(1))).build();
        try (KeyholdProxy p = KeyholdProxy.start(config, kms)) {
            produce(p, "ck-age", 0, 3, Map.of());
            assertThat(kms.generated.get()).as("cluster keys generated").isEqualTo(1);
            Thread.sleep(3_000);
            produce(p, "ck-age", 3, 3, Map.of()); // the cluster key is older than 2 s: new records get a new one
            assertThat(kms.generated.get()).as("cluster keys generated after the max age").isEqualTo(2);
            assertThat(p.clusterKeyCount()).isEqualTo(2);
            assertThat(readAll(p, "ck-age", 6)).containsExactlyElementsOf(values(0, 6));
        }
        try (KeyholdProxy p = proxy("c-age", kms)) { // a fresh proxy reads both generations from the key topic
            assertThat(readAll(p, "ck-age", 6)).containsExactlyElementsOf(values(0, 6));
        }
    }

    @Test
    void clientsCanNeitherWriteNorReadTheKeyTopic() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("ck-guard", 1, Map.of());
        try (KeyholdProxy p = proxy("c-guard", kms)) {
            produce(p, "ck-guard", 0, 1, Map.of()); // the key topic exists from now on
            assertThatThrownBy(() -> {
                try (KafkaProducer<byte[], byte[]> producer = Clients.producer(p.bootstrapServers(), Map.of())) {
                    producer.send(new ProducerRecord<>("__keyhold_keys", utf8("c-guard/AAAAAAAAAAA"), utf8("overwrite"))).get();
                }
            }).hasRootCauseInstanceOf(TopicAuthorizationException.class);
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(p.bootstrapServers(), Map.of())) {
                consumer.assign(List.of(new TopicPartition("__keyhold_keys", 0)));
                consumer.seekToBeginning(List.of(new TopicPartition("__keyhold_keys", 0)));
                assertThatThrownBy(() -> Clients.poll(consumer, 1, Duration.ofSeconds(30))).isInstanceOf(KafkaException.class);
            }
        }
    }

    @Test
    void eachRecordReadsOnItsOwnAfterDeleteRecordsAtRandomOffsetsAndInTransactions() throws Exception {
        TestKms kms = new TestKms();
        String topic = "ck-offsets";
        kafka.createTopic(topic, 1, Map.of());
        try (KeyholdProxy p = proxy("c-offsets", kms)) {
            produce(p, topic, 0, 50, Map.of());
            try (KafkaProducer<byte[], byte[]> tx = Clients.producer(p.bootstrapServers(), Map.of("transactional.id", "ck-tx"))) {
                tx.initTransactions();
                tx.beginTransaction();
                for (int i = 50; i < 60; i++) {
                    tx.send(new ProducerRecord<>(topic, utf8("k" + i), utf8("value " + i)));
                }
                tx.commitTransaction();
            }
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(20))).all().get(30, TimeUnit.SECONDS);
            }
            Random random = new Random(7);
            TopicPartition tp = new TopicPartition(topic, 0);
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(p.bootstrapServers(), Map.of("isolation.level", "read_committed"))) {
                consumer.assign(List.of(tp));
                for (int round = 0; round < 8; round++) {
                    int at = 20 + random.nextInt(40);
                    consumer.seek(tp, at);
                    List<ConsumerRecord<byte[], byte[]>> got = Clients.poll(consumer, 1, Duration.ofSeconds(30));
                    assertThat(got).isNotEmpty();
                    ConsumerRecord<byte[], byte[]> r = got.get(0);
                    assertThat(r.offset()).isGreaterThanOrEqualTo(at);
                    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(
                            new String(r.value(), StandardCharsets.UTF_8).replace("value ", "k"));
                }
                consumer.seek(tp, 0); // before the log start: the consumer resets to it
            }
            assertThat(readAll(p, topic, 40)).hasSize(40).contains("value 20", "value 59").doesNotContain("value 19");
        }
    }
}
