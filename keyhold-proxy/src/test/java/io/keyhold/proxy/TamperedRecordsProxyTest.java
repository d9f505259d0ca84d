package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.proxy.internal.RecordEncryption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Someone with write access to the brokers rearranges what the proxy stored, copying its raw bytes
 * with a producer that goes straight to the broker: every rearrangement that changes what a record
 * means fails the fetch through the proxy with {@code CORRUPT_MESSAGE}, and is counted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TamperedRecordsProxyTest {
    private KafkaTestCluster kafka;
    private KeyholdProxy proxy;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
        proxy = KeyholdProxy.start(ProxyConfig.builder("c1", List.of(kafka.bootstrapServers()), "kek-1").build(), new TestKms());
    }

    @AfterAll
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Produces through the proxy, then returns the records as the broker stores them. */
    private List<ConsumerRecord<byte[], byte[]>> writtenThroughTheProxy(String topic, List<ProducerRecord<byte[], byte[]>> records)
            throws Exception {
        kafka.createTopic(topic, 1, Map.of("cleanup.policy", "compact"));
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                producer.send(r).get();
            }
        }
        try (KafkaConsumer<byte[], byte[]> direct = Clients.consumer(kafka.bootstrapServers(), Map.of())) {
            direct.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> stored = Clients.poll(direct, records.size(), Duration.ofSeconds(30));
            assertThat(stored).hasSize(records.size());
            return stored;
        }
    }

    /** Appends {@code value} and {@code headers} under {@code key} straight to the broker; returns the offset. */
    private long appendDirectly(String topic, byte[] key, byte[] value, Header[] headers) throws Exception {
        try (KafkaProducer<byte[], byte[]> direct = Clients.producer(kafka.bootstrapServers(), Map.of())) {
            return direct.send(new ProducerRecord<>(topic, 0, key, value, List.of(headers))).get().offset();
        }
    }

    /** What a consumer through the proxy gets from {@code offset} on: the first record, or the fetch's error. */
    private List<ConsumerRecord<byte[], byte[]>> readThroughTheProxyFrom(String topic, long offset) {
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            return Clients.poll(consumer, 1, Duration.ofSeconds(30));
        }
    }

    private void refusedAsTampered(String topic, long offset) {
        long before = proxy.metrics().decryptionFailures();
        assertThatThrownBy(() -> readThroughTheProxyFrom(topic, offset))
                .isInstanceOf(KafkaException.class).hasMessageContaining("corrupt message");
        assertThat(proxy.metrics().decryptionFailures()).as("counted").isGreaterThan(before);
    }

    @Test
    void aValueSwappedOrCopiedUnderAnotherKeyFails() throws Exception {
        String topic = "accounts";
        List<ConsumerRecord<byte[], byte[]>> stored = writtenThroughTheProxy(topic, List.of(
                new ProducerRecord<>(topic, utf8("alice"), utf8("balance 10")),
                new ProducerRecord<>(topic, utf8("bob"), utf8("balance 99999"))));
        ConsumerRecord<byte[], byte[]> bobs = stored.get(1);
        // Alice's key gets Bob's balance: after compaction it would be Alice's only value.
        long swapped = appendDirectly(topic, utf8("alice"), bobs.value(), bobs.headers().toArray());
        refusedAsTampered(topic, swapped);
        long underAnEmptyKey = appendDirectly(topic, new byte[0], bobs.value(), bobs.headers().toArray());
        refusedAsTampered(topic, underAnEmptyKey);
        // Copied under its own key (a replay) it still opens: that is the documented limit of the binding.
        long replayed = appendDirectly(topic, utf8("bob"), bobs.value(), bobs.headers().toArray());
        assertThat(readThroughTheProxyFrom(topic, replayed)).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("balance 99999");
    }

    @Test
    void anEmptyValueCannotBeTurnedIntoATombstone() throws Exception {
        String topic = "retyped";
        List<ConsumerRecord<byte[], byte[]>> stored = writtenThroughTheProxy(topic, List.of(
                new ProducerRecord<>(topic, utf8("k"), new byte[0])));
        byte[] envelope = stored.get(0).value();
        byte[] marker = new byte[1 + envelope.length];
        marker[0] = stored.get(0).headers().lastHeader(RecordEncryption.MARKER).value()[0];
        System.arraycopy(envelope, 0, marker, 1, envelope.length);
        long tombstone = appendDirectly(topic, utf8("k"), null,
                new Header[] {new org.apache.kafka.common.header.internals.RecordHeader(RecordEncryption.MARKER, marker)});
        refusedAsTampered(topic, tombstone);
    }

    @Test
    void aBareTombstoneWrittenAroundTheProxyIsRefusedAndCounted() throws Exception {
        String topic = "deleted-behind-our-back";
        List<ConsumerRecord<byte[], byte[]>> stored = writtenThroughTheProxy(topic, List.of(
                new ProducerRecord<>(topic, utf8("k"), utf8("v")),
                new ProducerRecord<>(topic, utf8("gone"), null)));
        assertThat(stored.get(1).value()).isNull();
        assertThat(stored.get(1).headers().toArray()).extracting(Header::key).containsExactly(RecordEncryption.MARKER);
        // The proxy's own tombstone reads as a plain tombstone.
        assertThat(readThroughTheProxyFrom(topic, 1)).singleElement()
                .satisfies(r -> assertThat(r.value()).isNull())
                .satisfies(r -> assertThat(r.headers().toArray()).isEmpty());
        long bare = appendDirectly(topic, utf8("k"), null, new Header[0]);
        long before = proxy.metrics().unencryptedRecordsRejected();
        assertThatThrownBy(() -> readThroughTheProxyFrom(topic, bare))
                .isInstanceOf(KafkaException.class).hasMessageContaining("corrupt message");
        assertThat(proxy.metrics().unencryptedRecordsRejected()).isGreaterThan(before);
    }
}
