package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DekRotationPolicy;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The DEKs a proxy holds: no more than the bound however many topics clients name (each evicted
 * one wiped), none left once idle, an injected EDEK costs one KMS call and one warning however
 * often it is fetched, and {@code lock()} returns once every event loop has let go of its DEKs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeksHeldProxyTest {
    private KafkaTestCluster kafka;
    private final TestKms kms = new TestKms();

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
    }

    @AfterAll
    void stop() throws Exception {
        kafka.close();
        kms.close();
    }

    @Test
    void encryptionDeksStayWithinTheBoundAndAreWipedWhenEvictedOrIdle() throws Exception {
        List<String> topics = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            topics.add("bounded-" + i);
        }
        kafka.createTopics(topics.stream().map(t -> new org.apache.kafka.clients.admin.NewTopic(t, 1, (short) 1)).toList());
        ProxyConfig.Builder b = ProxyConfig.builder("bounded", List.of(kafka.bootstrapServers()), "k");
        b.limits(b.limits().withEncryptionDeks(5, Duration.ofSeconds(2)));
        try (KeyholdProxy proxy = KeyholdProxy.start(b.build(), kms);
             KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            for (int i = 0; i < topics.size(); i++) {
                String topic = topics.get(i);
                producer.send(new ProducerRecord<>(topic, ("record " + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
                assertThat(proxy.metrics().encryptionDeks()).as("after %d topics", i + 1).isLessThanOrEqualTo(5);
            }
            for (String topic : topics.subList(0, 15)) {
                assertThat(kms.generatedByTopic.get(topic).isDestroyed()).as("evicted DEK of %s wiped", topic).isTrue();
            }
            // Nothing written for a while: every DEK is wiped, without anything else happening.
            await(() -> proxy.metrics().encryptionDeks() == 0, Duration.ofSeconds(10), "idle DEKs wiped");
            for (String topic : topics) {
                assertThat(kms.generatedByTopic.get(topic).isDestroyed()).as("DEK of %s wiped", topic).isTrue();
            }
            // and writing again simply gets a new one
            producer.send(new ProducerRecord<>("bounded-0", "again".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            assertThat(proxy.metrics().encryptionDeks()).isEqualTo(1);
        }
    }

    @Test
    void decryptionDeksOfATopicNobodyReadsAnyMoreAreWipedOnceTheirTtlIsOver() throws Exception {
        String topic = "read-once";
        kafka.createTopic(topic, 1, Map.of());
        ProxyConfig config = ProxyConfig.builder("read-once", List.of(kafka.bootstrapServers()), "k")
                .decryptionCache(100, Duration.ofSeconds(2)).build();
        try (KeyholdProxy proxy = KeyholdProxy.start(config, kms)) {
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
                producer.send(new ProducerRecord<>(topic, "once".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                consumer.assign(List.of(new TopicPartition(topic, 0)));
                assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30))).hasSize(1);
            }
            List<DataKey> unwrapped = kms.unwrappedByTopic.get(topic);
            assertThat(unwrapped).isNotEmpty();
            // Nobody touches the proxy any more (no fetch, no metrics: both would run the cache's own
            // maintenance); the ttl passes and the DEK must still be wiped.
            await(() -> unwrapped.stream().allMatch(DataKey::isDestroyed), Duration.ofSeconds(20),
                    "the decryption DEK wiped after its ttl with no traffic");
        }
    }

    @Test
    void anInjectedEdekCostsOneKmsCallAndOneWarningNotOnePerFetch() throws Exception {
        String topic = "injected";
        kafka.createTopic(topic, 1, Map.of());
        try (KeyholdProxy proxy = KeyholdProxy.start(ProxyConfig.builder("inj", List.of(kafka.bootstrapServers()), "k").build(), kms)) {
            // A record that looks like the proxy's own (marker, envelope under this cluster's key and
            // context) but whose wrapped DEK is garbage, written straight to the broker.
            try (KafkaProducer<byte[], byte[]> direct = Clients.producer(kafka.bootstrapServers(), Map.of())) {
                direct.send(new ProducerRecord<byte[], byte[]>(topic, 0, (byte[]) null, garbageEdekEnvelope("inj", topic),
                        new RecordHeaders(List.of(new RecordHeader("keyhold.enc", new byte[] {1}))))).get();
            }
            int unwrapsBefore = kms.unwrapped.get();
            long failuresBefore = proxy.metrics().decryptionFailures();
            String log;
            int errors = 0;
            try (CapturedStderr err = new CapturedStderr();
                 KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                consumer.assign(List.of(new TopicPartition(topic, 0)));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (errors < 5 && System.nanoTime() < deadline) {
                    try {
                        assertThat(consumer.poll(Duration.ofMillis(200))).isEmpty();
                    } catch (KafkaException e) {
                        assertThat(e).hasMessageContaining("corrupt message");
                        errors++;
                    }
                }
                log = err.text();
            }
            assertThat(errors).as("fetches that failed on the record").isEqualTo(5);
            assertThat(kms.unwrapped.get() - unwrapsBefore).as("KMS unwrap calls for the injected EDEK").isEqualTo(1);
            assertThat(proxy.metrics().decryptionFailures() - failuresBefore).as("every failure counted").isGreaterThanOrEqualTo(5);
            assertThat(log.lines().filter(l -> l.contains(" WARN ") && l.contains("fetch of " + topic + "-0 failed")).count())
                    .as("warnings about it in the log").isEqualTo(1);
        }
    }

    @Test
    void lockReturnsOnceEveryEventLoopHasLetGoOfItsDeksAndSaysWhenOneIsStuck() throws Exception {
        String topic = "locked";
        kafka.createTopic(topic, 1, Map.of());
        try (KeyholdProxy proxy = KeyholdProxy.start(ProxyConfig.builder("lock", List.of(kafka.bootstrapServers()), "k").build(),
                TestKms.KIND, kms, kms, 2)) {
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
                producer.send(new ProducerRecord<>(topic, new byte[] {1})).get();
            }
            assertThat(proxy.dekCount()).isPositive();

            // Each loop busy for a second and a half: lock() waits for both, then every DEK is wiped.
            CountDownLatch busy = occupy(proxy, Duration.ofMillis(1500));
            long t0 = System.nanoTime();
            assertThat(proxy.lock()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("waited for the busy loops").isGreaterThan(Duration.ofMillis(1200));
            assertThat(busy.getCount()).isZero();
            assertThat(proxy.dekCount()).isZero();
            assertThat(kms.generatedByTopic.get(topic).isDestroyed()).isTrue();
            proxy.unlock();

            // Both loops stuck: lock() does not wait for them one after the other, and says it could not confirm.
            CountDownLatch release = new CountDownLatch(1);
            for (var loop : proxy.eventLoops()) {
                loop.execute(() -> awaitQuietly(release, Duration.ofSeconds(60)));
            }
            String log;
            boolean confirmed;
            t0 = System.nanoTime();
            try (CapturedStderr err = new CapturedStderr()) {
                confirmed = proxy.lock();
                log = err.text();
            } finally {
                release.countDown();
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(confirmed).isFalse();
            assertThat(took).as("one bound for all loops").isBetween(KeyholdProxy.LOCK_CONFIRMATION_WAIT.minusSeconds(1),
                    KeyholdProxy.LOCK_CONFIRMATION_WAIT.plusSeconds(3));
            assertThat(log).contains("cluster lock: locked (produce and fetch refused), but 2 of 2 event loops did not confirm");
            assertThat(proxy.isLocked()).isTrue();
        }
    }

    /** Keeps every event loop of {@code proxy} busy for {@code time}; counts down as each finishes. */
    private static CountDownLatch occupy(KeyholdProxy proxy, Duration time) {
        List<io.netty.util.concurrent.EventExecutor> loops = new ArrayList<>();
        proxy.eventLoops().forEach(loops::add);
        CountDownLatch done = new CountDownLatch(loops.size());
        CountDownLatch started = new CountDownLatch(loops.size());
        for (var loop : loops) {
            loop.execute(() -> {
                started.countDown();
                awaitQuietly(new CountDownLatch(1), time);
                done.countDown();
            });
        }
        awaitQuietly(started, Duration.ofSeconds(10));
        return done;
    }

    private static void awaitQuietly(CountDownLatch latch, Duration max) {
        try {
            latch.await(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The value the proxy would write for a record with no headers and value "x", encrypted as
     * cluster {@code clusterId} writes {@code topic}, except that its wrapped DEK is random bytes.
     */
    private static byte[] garbageEdekEnvelope(String clusterId, String topic) {
        byte[] garbage = new byte[60];
        new SecureRandom().nextBytes(garbage);
        EncryptionDekCache deks = new EncryptionDekCache((kekId, context) -> CompletableFuture.completedFuture(
                new GeneratedDek(DataKey.generate(), new KekRef(TestKms.KIND, kekId, "1"), garbage)), DekRotationPolicy.DEFAULT);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(deks);
        EncryptionContext context = EncryptionContext.forTopic(clusterId, topic);
        enc.prepare("k", context).join();
        byte[] payload = {0, 'x'}; // no headers, then the value (docs/PROXY.md)
        return enc.encrypt("k", context, payload, Aad.ofParts("keyhold.record.v1", topic));
    }

    private static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            Thread.sleep(50);
        }
    }
}
