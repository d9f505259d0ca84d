package io.keyhold.proxy.internal;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.WrappedClusterKey;
import io.keyhold.proxy.ProxyConfig;
import io.keyhold.proxy.TlsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyhold's internal topic {@value #NAME} in the Kafka cluster the proxy fronts: the KMS-wrapped
 * cluster keys, replicated like the data they protect, so that the Kafka cluster and the customer's
 * KMS are enough to read every record. One partition, compacted by record key
 * ({@link WrappedClusterKey#storageKey()}: cluster and CK id), written with {@code acks=all}.
 * Blocking Kafka client calls: used only from {@link ClusterKeyStore}'s own thread.
 */
final class ClusterKeyTopic {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterKeyTopic.class);
    static final String NAME = "__keyhold_keys";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> client;

    ClusterKeyTopic(ProxyConfig config, Map<String, String> extraClientProperties) {
        this.client = clientProperties(config, extraClientProperties);
    }

    /** Whether clients may not touch {@code topic}: Keyhold's key topic is the proxy's alone. */
    static boolean isReserved(String topic) {
        return NAME.equals(topic);
    }

    /** How the proxy's own Kafka clients reach the upstream: its bootstrap and TLS, then the operator's properties. */
    static Map<String, Object> clientProperties(ProxyConfig config, Map<String, String> extra) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", String.join(",", config.upstreamBootstrap()));
        p.put("client.id", "keyhold-keys-" + config.clusterId());
        TlsSettings tls = config.upstreamTls();
        if (tls != null) {
            p.put("security.protocol", "SSL");
            if (tls.trustedCertificates() != null) {
                p.put("ssl.truststore.type", "PEM");
                p.put("ssl.truststore.location", tls.trustedCertificates().toString());
            }
            if (tls.certificateChain() != null) {
                p.put("ssl.keystore.type", "PEM");
                p.put("ssl.keystore.certificate.chain", read(tls.certificateChain()));
                p.put("ssl.keystore.key", read(tls.privateKey()));
            }
        }
        p.putAll(extra);
        return p;
    }

    private static String read(java.nio.file.Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Creates the topic unless it exists: compacted, replicated like data (3 copies where there are 3 brokers). */
    void ensureExists() throws InterruptedException, ExecutionException, TimeoutException {
        try (Admin admin = Admin.create(client)) {
            if (admin.listTopics().names().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).contains(NAME)) {
                return;
            }
            int brokers = admin.describeCluster().nodes().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            short replicas = (short) Math.max(1, Math.min(3, brokers));
            NewTopic topic = new NewTopic(NAME, 1, replicas).configs(Map.of("cleanup.policy", "compact",
                    "min.insync.replicas", String.valueOf(Math.min(2, replicas)), "retention.ms", "-1"));
            try {
                admin.createTopics(List.of(topic)).all().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                LOG.info("created Keyhold's key topic {} ({} replicas)", NAME, replicas);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e; // another proxy creating it at the same time is fine
                }
            }
        }
    }

    /** Appends {@code key} and waits until every in-sync replica has it. */
    void write(WrappedClusterKey key) throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Object> p = new HashMap<>(client);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(NAME, 0, key.storageKey(), key.encode())).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Every wrapped cluster key of {@code clusterId} in the topic, read to its end; the newest wrapping of each CK last. */
    List<WrappedClusterKey> readAll(String clusterId) {
        Map<String, Object> p = new HashMap<>(client);
        p.put("enable.auto.commit", "false");
        p.put("isolation.level", "read_committed");
        List<WrappedClusterKey> out = new ArrayList<>();
        String prefix = clusterId + "/";
        TopicPartition tp = new TopicPartition(NAME, 0);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long end = consumer.endOffsets(Set.of(tp), CALL_TIMEOUT).get(tp);
            long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos();
            while (consumer.position(tp, CALL_TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new CryptoException("could not read Keyhold's key topic to its end within " + CALL_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !r.key().startsWith(prefix) || r.value() == null) {
                        continue;
                    }
                    try {
                        WrappedClusterKey w = WrappedClusterKey.decode(r.value());
                        if (w.clusterId().equals(clusterId) && r.key().equals(w.storageKey())) {
                            out.add(w);
                        } else {
                            LOG.warn("cluster {}: ignoring a key record at offset {} of {} whose content names another key",
                                    clusterId, r.offset(), NAME);
                        }
                    } catch (CryptoException e) {
                        LOG.warn("cluster {}: ignoring a malformed key record at offset {} of {}", clusterId, r.offset(), NAME);
                    }
                }
            }
        }
        return out;
    }
}
