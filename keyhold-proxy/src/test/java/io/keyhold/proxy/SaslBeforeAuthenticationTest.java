package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Behind brokers that require SASL, the proxy does no work for a client the broker has not
 * authenticated: a Produce sent before (no handshake, or a handshake without authentication) is
 * never decoded, decompressed or encrypted and costs no KMS call; the connection closes, as the
 * broker closes it. Authenticated clients (real Java clients, SASL/PLAIN) work as before, and a
 * client that sends its first request straight after its last SASL round is served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SaslBeforeAuthenticationTest {
    private static final String ADMIN = KafkaTestCluster.SASL_ADMIN;
    private static final String PASSWORD = KafkaTestCluster.SASL_ADMIN_PASSWORD;

    private KafkaTestCluster kafka;
    private final TestKms kms = new TestKms();
    /** Configured: the brokers require SASL. */
    private KeyholdProxy required;
    /** Default: learns it. */
    private KeyholdProxy detecting;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.startSasl(1);
        required = KeyholdProxy.start(ProxyConfig.builder("sasl-required", List.of(kafka.bootstrapServers()), "k")
                .upstreamSasl(UpstreamSasl.REQUIRED).build(), kms);
        detecting = KeyholdProxy.start(ProxyConfig.builder("sasl-detect", List.of(kafka.bootstrapServers()), "k").build(), kms);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {required, detecting, kafka, kms}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void aProduceWithoutAHandshakeIsNeitherEncryptedNorForwardedAndCostsNoKmsCall() throws Exception {
        int generatedBefore = kms.generated.get();
        long encryptedBefore = required.metrics().recordsEncrypted();
        try (RawKafka c = RawKafka.connect(required.bootstrapAddress())) {
            ApiVersionsResponse versions = (ApiVersionsResponse) c.exchange(new ApiVersionsRequest.Builder((short) 3), (short) 3, 1);
            assertThat(versions.data().errorCode()).as("ApiVersions is answered before authentication").isZero();
            c.sendRaw(compressedProduce("made-up-topic-" + UUID.randomUUID(), 2));
            assertThat(c.closedByPeerWithoutAnswer()).as("closed, as a broker closes it").isTrue();
        }
        assertNothingDone(required, generatedBefore, encryptedBefore);
        assertThat(required.metrics().connectionsClosedUnauthenticated()).isPositive();
    }

    @Test
    void aProduceAfterAHandshakeButBeforeAuthenticationIsRefusedTheSameWayEvenWhenSaslIsOnlyDetected() throws Exception {
        int generatedBefore = kms.generated.get();
        long encryptedBefore = detecting.metrics().recordsEncrypted();
        try (RawKafka c = RawKafka.connect(detecting.bootstrapAddress())) {
            SaslHandshakeResponse hs = (SaslHandshakeResponse) c.exchange(
                    new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN")), (short) 1, 1);
            assertThat(hs.data().errorCode()).isZero();
            c.sendRaw(compressedProduce("made-up-topic-" + UUID.randomUUID(), 3));
            assertThat(c.closedByPeerWithoutAnswer()).isTrue();
        }
        assertNothingDone(detecting, generatedBefore, encryptedBefore);

        // The broker answered a handshake as a SASL listener does: from now on the proxy knows, and
        // a client that skips the handshake gets no further either.
        int generatedNow = kms.generated.get();
        try (RawKafka c = RawKafka.connect(detecting.bootstrapAddress())) {
            c.sendRaw(compressedProduce("made-up-topic-" + UUID.randomUUID(), 4));
            assertThat(c.closedByPeerWithoutAnswer()).isTrue();
        }
        assertNothingDone(detecting, generatedNow, encryptedBefore);
    }

    @Test
    void aDetectingProxyAsksTheBrokerBeforeItServesItsFirstConnection() throws Exception {
        int generatedBefore = kms.generated.get();
        try (KeyholdProxy fresh = KeyholdProxy.start(ProxyConfig.builder("sasl-fresh", List.of(kafka.bootstrapServers()), "k")
                .build(), kms);
             RawKafka c = RawKafka.connect(fresh.bootstrapAddress())) {
            // The very first request the proxy ever sees: a Produce, no handshake, no earlier client to learn from.
            c.sendRaw(compressedProduce("made-up-topic-" + UUID.randomUUID(), 2));
            assertThat(c.closedByPeerWithoutAnswer()).isTrue();
            assertNothingDone(fresh, generatedBefore, 0);
        }
    }

    @Test
    void aFrameLargerThanTheBrokersSaslLimitIsRefusedBeforeAuthentication() throws Exception {
        long badFramesBefore = required.metrics().connectionsClosedBadFrame();
        try (RawKafka c = RawKafka.connect(required.bootstrapAddress())) {
            // 600 KiB: under max-frame-bytes (100 MiB), over sasl.server.max.receive.size (512 KiB)
            c.sendRaw(java.nio.ByteBuffer.allocate(8).putInt(600 * 1024).putShort(ApiKeys.SASL_AUTHENTICATE.id).putShort((short) 2)
                    .array());
            assertThat(c.closedByPeerWithoutAnswer()).isTrue();
        }
        assertThat(required.metrics().connectionsClosedBadFrame()).isGreaterThan(badFramesBefore);
    }

    @Test
    void aRequestSentRightAfterTheLastSaslRoundIsServedOnceTheBrokerConfirms() throws Exception {
        try (RawKafka c = RawKafka.connect(required.bootstrapAddress())) {
            c.exchange(new ApiVersionsRequest.Builder((short) 3), (short) 3, 1);
            c.exchange(new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN")), (short) 1, 2);
            byte[] token = ("\0" + ADMIN + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8);
            // Both in one write: the proxy holds the Metadata request until the broker has
            // answered the authentication, then until it has confirmed the connection.
            byte[] auth = RawKafka.frame(new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(token)),
                    (short) 2, 3);
            byte[] metadata = RawKafka.frame(new MetadataRequest.Builder(new MetadataRequestData().setTopics(null)), (short) 12, 4);
            byte[] both = new byte[auth.length + metadata.length];
            System.arraycopy(auth, 0, both, 0, auth.length);
            System.arraycopy(metadata, 0, both, auth.length, metadata.length);
            c.sendRaw(both);
            SaslAuthenticateResponse authenticated = (SaslAuthenticateResponse) c.receive(ApiKeys.SASL_AUTHENTICATE, (short) 2, 3);
            assertThat(authenticated.data().errorCode()).isZero();
            MetadataResponse md = (MetadataResponse) c.receive(ApiKeys.METADATA, (short) 12, 4);
            assertThat(md.brokers()).as("the proxy's own confirmation never reaches the client").isNotEmpty();
            assertThat(md.brokers().iterator().next().port()).as("addresses rewritten as always")
                    .isNotEqualTo(Integer.parseInt(kafka.bootstrapServers().split(":")[1]));
        }
    }

    @Test
    void wrongCredentialsFailAsTheBrokerSaysAndAuthenticatedClientsProduceAndConsume() throws Exception {
        for (KeyholdProxy proxy : List.of(required, detecting)) {
            String topic = "sasl-ok-" + proxy.config().clusterId();
            kafka.createTopic(topic, 1, Map.of());
            String value = "authenticated " + UUID.randomUUID();
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(proxy.bootstrapServers(), sasl(PASSWORD))) {
                p.send(new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8))).get();
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), sasl(PASSWORD))) {
                consumer.assign(List.of(new TopicPartition(topic, 0)));
                assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30)))
                        .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly(value);
            }
            Map<String, Object> wrong = sasl("not the password");
            wrong.put("max.block.ms", 10_000);
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(proxy.bootstrapServers(), wrong)) {
                assertThatThrownBy(() -> p.send(new ProducerRecord<>(topic, new byte[] {1})).get())
                        .isInstanceOf(ExecutionException.class).hasStackTraceContaining("SaslAuthenticationException");
            }
        }
        assertThat(AtRest.filesContaining(kafka.logDirs(), "authenticated ")).isEmpty();
    }

    @Test
    void aScramClientIsServedAfterItsTwoRoundsAndTheBrokersConfirmation() throws Exception {
        String topic = "scram-topic";
        kafka.createTopic(topic, 1, Map.of());
        try (org.apache.kafka.clients.admin.Admin admin = kafka.admin()) {
            admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion("scram-user",
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256,
                            4096), "scram-pw"))).all().get();
            admin.createAcls(List.of(new org.apache.kafka.common.acl.AclBinding(
                    new org.apache.kafka.common.resource.ResourcePattern(org.apache.kafka.common.resource.ResourceType.TOPIC, topic,
                            org.apache.kafka.common.resource.PatternType.LITERAL),
                    new org.apache.kafka.common.acl.AccessControlEntry("User:scram-user", "*",
                            org.apache.kafka.common.acl.AclOperation.ALL, org.apache.kafka.common.acl.AclPermissionType.ALLOW))))
                    .all().get();
        }
        String value = "scram " + UUID.randomUUID();
        Map<String, Object> scram = new HashMap<>(KafkaTestCluster.scramClient("scram-user", "scram-pw"));
        scram.put("enable.idempotence", false);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) { // the new credential reaches the broker through the metadata log
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(required.bootstrapServers(), scram)) {
                p.send(new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8))).get();
                break;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline || !String.valueOf(e.getCause()).contains("SaslAuthentication")) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(required.bootstrapServers(), sasl(PASSWORD))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30)))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly(value);
        }
    }

    private static Map<String, Object> sasl(String password) {
        return new HashMap<>(KafkaTestCluster.saslClient(ADMIN, password));
    }

    private void assertNothingDone(KeyholdProxy proxy, int generatedBefore, long encryptedBefore) {
        assertThat(kms.generated.get()).as("no KMS call").isEqualTo(generatedBefore);
        assertThat(proxy.metrics().recordsEncrypted()).as("nothing decoded or encrypted").isEqualTo(encryptedBefore);
    }

    /** A Produce v12 frame with {@code records} zstd-compressed records for {@code topic}. */
    private static byte[] compressedProduce(String topic, int records) {
        SimpleRecord[] rs = new SimpleRecord[records];
        for (int i = 0; i < records; i++) {
            rs[i] = new SimpleRecord(("unauthenticated " + i).getBytes(StandardCharsets.UTF_8));
        }
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(MemoryRecords.withRecords(Compression.zstd().build(), rs)))));
        return RawKafka.frame(new ProduceRequest.Builder((short) 3, (short) 12, data), (short) 12, 9);
    }
}
