package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.EncryptionContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A KMS that does not answer must cost only the requests that need it. The proxy runs on ONE event
 * loop, so if a KMS call ran on it (or a request waited on it), every other connection would stall
 * too. Real producers and consumers on a real broker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HangingKmsProxyTest {
    private static final Duration KMS_WAIT = Duration.ofSeconds(2);

    private KafkaTestCluster kafka;
    private TestKms kms;
    private KeyholdProxy proxy;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
        kms = new TestKms();
        ProxyConfig config = ProxyConfig.builder("c-hang", List.of(kafka.bootstrapServers()), "kek-h").kmsWait(KMS_WAIT).build();
        proxy = KeyholdProxy.start(config, TestKms.KIND, kms, kms, 1);
    }

    @AfterEach
    void release() {
        kms.release();
    }

    @AfterAll
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        kms.close();
        if (kafka != null) {
            kafka.close();
        }
    }

    private static EncryptionContext topic(String name) {
        return EncryptionContext.forTopic("c-hang", name);
    }

    @Test
    void aProduceWaitingForTheKmsDoesNotDelayProduceOnOtherTopicsAndConnections() throws Exception {
        kafka.createTopic("slow-produce", 1, Map.of());
        kafka.createTopic("fast-produce", 1, Map.of());
        kms.hangFor(c -> c.equals(topic("slow-produce")));
        try (KafkaProducer<byte[], byte[]> slow = Clients.producer(proxy.bootstrapServers(), Map.of("delivery.timeout.ms", 60_000));
             KafkaProducer<byte[], byte[]> fast = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            Future<RecordMetadata> waiting = slow.send(new ProducerRecord<>("slow-produce", bytes("waited for the KMS")));
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                fast.send(new ProducerRecord<>("fast-produce", bytes("fast " + i))).get(5, TimeUnit.SECONDS);
            }
            Duration fastTook = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(fastTook).as("20 acknowledged sends on another topic while the KMS hangs").isLessThan(Duration.ofSeconds(5));
            assertThat(waiting.isDone()).as("the produce that needs the hanging KMS is still waiting").isFalse();
            assertThat(proxy.metrics().requestsWaitedForKms()).isPositive();

            // The proxy answers the waiting produce with a retriable error after kmsWait; the client
            // retries, and once the KMS answers the record goes through.
            Thread.sleep(KMS_WAIT.toMillis() + 500);
            kms.release();
            assertThat(waiting.get(30, TimeUnit.SECONDS).offset()).isZero();
        }
        assertThat(values("slow-produce", 1)).containsExactly("waited for the KMS");
        assertThat(values("fast-produce", 20)).hasSize(20).first().isEqualTo("fast 0");
    }

    @Test
    void aFetchWaitingForAnUnwrapDoesNotDelayFetchesOfOtherTopics() throws Exception {
        kafka.createTopic("slow-fetch", 1, Map.of());
        kafka.createTopic("fast-fetch", 1, Map.of());
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>("slow-fetch", bytes("unwrapped late"))).get();
            producer.send(new ProducerRecord<>("fast-fetch", bytes("unwrapped at once"))).get();
        }
        // Forget every DEK (a lock does that), so that both topics' fetches must unwrap again.
        proxy.lock();
        proxy.unlock();
        kms.hangFor(c -> c.equals(topic("slow-fetch")));
        try (KafkaConsumer<byte[], byte[]> slow = Clients.consumer(proxy.bootstrapServers(), Map.of());
             KafkaConsumer<byte[], byte[]> fast = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            slow.assign(List.of(new TopicPartition("slow-fetch", 0)));
            fast.assign(List.of(new TopicPartition("fast-fetch", 0)));
            assertThat(Clients.poll(slow, 1, Duration.ofMillis(500))).isEmpty(); // its fetch now waits for the KMS
            long t0 = System.nanoTime();
            List<ConsumerRecord<byte[], byte[]>> got = Clients.poll(fast, 1, Duration.ofSeconds(10));
            assertThat(got).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("unwrapped at once");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));

            kms.release();
            assertThat(Clients.poll(slow, 1, Duration.ofSeconds(30))).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("unwrapped late");
        }
    }

    private List<String> values(String topic, int count) {
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            List<String> out = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : Clients.poll(consumer, count, Duration.ofSeconds(30))) {
                out.add(new String(r.value(), StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
