package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The proxy in front of a real three-broker KRaft cluster: one proxy port per broker, clients never leave the proxy. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ThreeBrokerProxyTest {
    private KafkaTestCluster kafka;
    private KeyholdProxy proxy;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(3);
        proxy = KeyholdProxy.start(ProxyConfig.builder("c3", List.of(kafka.bootstrapServers()), "kek-3").build(), new TestKms());
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

    @Test
    void clientsSeeOnlyProxyAddressesOnePortPerBroker() throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", proxy.bootstrapServers());
        Set<Integer> upstreamPorts = List.of(kafka.bootstrapServers().split(",")).stream()
                .map(s -> Integer.parseInt(s.substring(s.lastIndexOf(':') + 1))).collect(Collectors.toSet());
        try (Admin admin = Admin.create(p)) {
            Collection<Node> nodes = admin.describeCluster().nodes().get();
            assertThat(nodes).hasSize(3);
            assertThat(nodes).allMatch(n -> n.host().equals("127.0.0.1"));
            assertThat(nodes.stream().map(Node::port).collect(Collectors.toSet())).hasSize(3).doesNotContainAnyElementsOf(upstreamPorts);
            Node controller = admin.describeCluster().controller().get();
            assertThat(controller == null || !upstreamPorts.contains(controller.port())).isTrue();
        }
    }

    @Test
    void replicatedTopicRoundTripsThroughEveryBroker() throws Exception {
        String topic = "spread";
        String canary = "CANARY3-" + UUID.randomUUID();
        kafka.createTopic(topic, 6, Map.of("min.insync.replicas", "2"));
        int n = 600;
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(),
                Map.of("acks", "all", "enable.idempotence", true, "compression.type", "zstd"))) {
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>(topic, i % 6, ("k" + i).getBytes(StandardCharsets.UTF_8),
                        (canary + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        try (KafkaProducer<byte[], byte[]> tx = Clients.producer(proxy.bootstrapServers(),
                Map.of("transactional.id", "tx3-" + UUID.randomUUID()))) {
            tx.initTransactions();
            tx.beginTransaction();
            for (int i = 0; i < 6; i++) {
                tx.send(new ProducerRecord<>(topic, i, null, (canary + "-tx-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            tx.commitTransaction();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(),
                Map.of("isolation.level", "read_committed", "group.protocol", "consumer"))) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> got = Clients.poll(consumer, n + 6, Duration.ofSeconds(45));
            List<String> values = new ArrayList<>();
            got.forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
            assertThat(values).hasSize(n + 6).doesNotHaveDuplicates().allMatch(v -> v.startsWith(canary));
            assertThat(got.stream().map(ConsumerRecord::partition).collect(Collectors.toSet())).hasSize(6);
            consumer.commitSync();
        }
        assertThat(proxy.metrics().recordsDecrypted()).isGreaterThanOrEqualTo(n + 6);
        assertThat(AtRest.filesContaining(kafka.logDirs(), canary)).isEmpty();
    }
}
