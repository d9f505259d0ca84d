package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TLS from the proxy to real brokers with an SSL listener: the proxy reaches a broker whose
 * certificate chains to the CA it trusts and names the host it dials, and refuses a broker that
 * fails any of these (another host's certificate, another CA's, an expired one). The brokers'
 * certificates name only {@code localhost}, so dialling {@code 127.0.0.1} is a wrong host name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamTlsProxyTest {
    private static final String PASSWORD = "test-keystore";
    private Path dir;
    private TestCertificates ca;
    private TestCertificates otherCa;
    private KafkaTestCluster kafka;
    private KafkaTestCluster expiredKafka;
    private final TestKms kms = new TestKms();

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("keyhold-upstream-tls");
        ca = TestCertificates.ca(dir, "broker-ca");
        otherCa = TestCertificates.ca(dir, "other-ca");
        kafka = KafkaTestCluster.startSsl(ca.issue("broker", "localhost").pkcs12(PASSWORD), PASSWORD, ca.caFile());
        // Kafka refuses to start a listener whose own client would refuse it; trusting the expired
        // certificate itself (the JDK takes a trusted leaf as is) lets this broker start and serve it.
        TestCertificates.Issued expired = ca.expired("broker-expired", "localhost");
        Path selfTrust = dir.resolve("broker-expired-trust.pem");
        Files.writeString(selfTrust, Files.readString(expired.certFile()) + Files.readString(ca.caFile()));
        expiredKafka = KafkaTestCluster.startSsl(expired.pkcs12(PASSWORD), PASSWORD, selfTrust);
    }

    @AfterAll
    void stop() throws Exception {
        for (KafkaTestCluster k : new KafkaTestCluster[] {kafka, expiredKafka}) {
            if (k != null) {
                k.close();
            }
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The broker's endpoint as {@code host:port} with {@code host} as the host to dial. */
    private static String dialling(KafkaTestCluster k, String host) {
        String bootstrap = k.bootstrapServers().split(",")[0];
        return host + bootstrap.substring(bootstrap.lastIndexOf(':'));
    }

    private KeyholdProxy proxy(String upstream, Path trusted) {
        return KeyholdProxy.start(ProxyConfig.builder("up-tls", List.of(upstream), "kek-up").upstreamTls(TlsSettings.client(trusted))
                .build(), kms);
    }

    @Test
    void reachesABrokerWhoseCertificateIsTrustedAndNamesTheHost() throws Exception {
        String topic = "up-" + UUID.randomUUID();
        kafka.createTopic(topic, 1, Map.of());
        String canary = "UPSTREAM-TLS-" + UUID.randomUUID();
        try (KeyholdProxy proxy = proxy(dialling(kafka, "localhost"), ca.caFile())) {
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
                producer.send(new ProducerRecord<>(topic, canary.getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                consumer.subscribe(List.of(topic));
                assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(60)))
                        .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly(canary);
            }
        }
        assertThat(AtRest.filesContaining(kafka.logDirs(), canary)).isEmpty();
    }

    @Test
    void refusesABrokerCertificateForAnotherHost() throws Exception {
        assertRefused(dialling(kafka, "127.0.0.1"), ca.caFile(), "No subject alternative names matching IP address 127.0.0.1");
    }

    @Test
    void refusesABrokerCertificateOfAnUntrustedCa() throws Exception {
        assertRefused(dialling(kafka, "localhost"), otherCa.caFile(), "unable to find valid certification path");
    }

    @Test
    void refusesAnExpiredBrokerCertificate() throws Exception {
        assertRefused(dialling(expiredKafka, "localhost"), ca.caFile(), "validity check failed");
    }

    /**
     * A client of the proxy gets no answer from the broker (the proxy closes its connection), and the
     * proxy's log says why, once.
     */
    private void assertRefused(String upstream, Path trusted, String reason) throws Exception {
        try (CapturedStderr log = new CapturedStderr(); KeyholdProxy proxy = proxy(upstream, trusted)) {
            Properties p = new Properties();
            p.put("bootstrap.servers", proxy.bootstrapServers());
            p.put("default.api.timeout.ms", 10_000);
            p.put("request.timeout.ms", 5_000);
            p.put("reconnect.backoff.max.ms", 1_000);
            try (Admin admin = Admin.create(p)) {
                Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
                assertThat(t).as("the proxy reached the broker").isNotNull();
            }
            assertThat(log.text()).contains("TLS to a broker failed, refusing it").contains(reason);
        }
    }
}
