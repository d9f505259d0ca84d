package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KmsCalls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two Keyhold clusters, one after the other, on the same Kafka: proxy A (key {@code ka}) wrote
 * topics that are still there when proxy B (key {@code kb}) serves the Kafka. Both use one KMS, so
 * B's KMS could unwrap A's DEKs; B must refuse A's records anyway, and keep serving its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForeignKeyProxyTest {
    private KafkaTestCluster kafka;
    private final TestKms kms = new TestKms();
    private KeyholdProxy a;
    private KeyholdProxy b;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
        a = KeyholdProxy.start(ProxyConfig.builder("a", List.of(kafka.bootstrapServers()), "ka").build(), kms);
        b = KeyholdProxy.start(ProxyConfig.builder("b", List.of(kafka.bootstrapServers()), "kb").build(), kms);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip"})
    void aProxyRefusesRecordsUnderAnotherClustersKeyAndStillServesItsOwn(String compression) throws Exception {
        String shared = "left-by-a-" + compression;
        String own = "written-by-b-" + compression;
        kafka.createTopic(shared, 1, Map.of());
        kafka.createTopic(own, 1, Map.of());
        String secret = "a's secret " + UUID.randomUUID();
        Map<String, Object> codec = Map.<String, Object>of("compression.type", compression);
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(a.bootstrapServers(), codec)) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(shared, (secret + " #" + i).getBytes(StandardCharsets.UTF_8))).get();
            }
        }
        // A reads its own records back.
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(a.bootstrapServers(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(shared, 0)));
            assertThat(Clients.poll(consumer, 3, Duration.ofSeconds(30)))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly(secret + " #0", secret + " #1", secret + " #2");
        }
        // The KMS B uses can open what A wrote: only B's policy stands in the way.
        EncryptionContext asA = EncryptionContext.forTopic("a", shared);
        GeneratedDek probe = KmsCalls.await(kms.generate("ka", asA));
        try (DataKey unwrapped = KmsCalls.await(kms.unwrap(probe.kek(), probe.edek(), asA))) {
            assertThat(unwrapped.isDestroyed()).isFalse();
        } finally {
            probe.dek().destroy();
        }

        long unwrapsBefore = kms.unwrapped.get();
        long failuresBefore = b.metrics().decryptionFailures();
        long decryptedBefore = b.metrics().recordsDecrypted();
        long deksBefore = b.dekCount();
        List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
        String log;
        KafkaException error;
        try (CapturedStderr err = new CapturedStderr();
             KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(b.bootstrapServers(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(shared, 0)));
            error = firstError(consumer, seen);
            log = err.text();
        }
        assertThat(seen).as("neither plaintext nor ciphertext reaches B's consumer").isEmpty();
        assertThat(error).hasMessageContaining("corrupt message").hasMessageContaining(shared + "-0");
        assertThat(log)
                .contains("cluster b: fetch of " + shared + "-0 failed: record at offset 0 of topic '" + shared + "': "
                        + "encrypted under KEK 'ka' (test) version '1', not this cluster's key 'kb' (test)")
                .doesNotContain(secret);
        assertThat(kms.unwrapped.get()).as("B never asked the KMS for A's DEK").isEqualTo(unwrapsBefore);
        assertThat(b.dekCount()).as("B holds no DEK of A's").isEqualTo(deksBefore);
        assertThat(b.metrics().decryptionFailures()).isGreaterThan(failuresBefore);
        assertThat(b.metrics().recordsDecrypted()).isEqualTo(decryptedBefore);
        assertThat(b.metrics().kmsFailures()).isZero();

        // B serves its own records, on the same Kafka, through the same consumer set-up.
        String mine = "b's record " + UUID.randomUUID();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(b.bootstrapServers(), codec)) {
            producer.send(new ProducerRecord<>(own, mine.getBytes(StandardCharsets.UTF_8))).get();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(b.bootstrapServers(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(own, 0)));
            assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30)))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly(mine);
        }
        // ... and A, in turn, refuses B's.
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(a.bootstrapServers(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(own, 0)));
            List<ConsumerRecord<byte[], byte[]>> seenByA = new ArrayList<>();
            assertThat(firstError(consumer, seenByA)).hasMessageContaining("corrupt message");
            assertThat(seenByA).isEmpty();
        }
    }

    @Test
    void aProxyWhoseKmsNamesTheKeyDifferentlyRefusesToProduceRatherThanWriteWhatItCannotRead() throws Exception {
        String topic = "renamed-key";
        kafka.createTopic(topic, 1, Map.of());
        // A KMS that reports the key under another id than the one configured (say, an ARN for an alias).
        io.keyhold.crypto.DekSource renaming = (kekId, context) -> kms.generate(kekId, context)
                .thenApply(g -> new GeneratedDek(g.dek(), new KekRef(TestKms.KIND, "arn:test:" + kekId, "1"), g.edek()));
        try (KeyholdProxy c = KeyholdProxy.start(ProxyConfig.builder("c", List.of(kafka.bootstrapServers()), "kc").build(),
                TestKms.KIND, renaming, kms, 1);
             KafkaProducer<byte[], byte[]> producer = Clients.producer(c.bootstrapServers(), Map.of())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, new byte[] {1})).get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(InvalidRecordException.class);
            assertThat(c.dekCount()).isZero();
        }
        try (KafkaConsumer<byte[], byte[]> direct = Clients.consumer(kafka.bootstrapServers(), Map.of())) {
            assertThat(direct.endOffsets(List.of(new TopicPartition(topic, 0)))).containsValue(0L);
        }
    }

    /** Polls until the consumer throws, collecting whatever records arrive first. */
    private static KafkaException firstError(KafkaConsumer<byte[], byte[]> consumer, List<ConsumerRecord<byte[], byte[]>> seen) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
            } catch (KafkaException e) {
                return e;
            }
        }
        throw new AssertionError("no fetch error within 30 s; " + seen.size() + " records arrived");
    }
}
