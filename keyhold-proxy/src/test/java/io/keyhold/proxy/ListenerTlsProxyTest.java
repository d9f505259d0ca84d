package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.proxy.TlsSettings.ClientAuth;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * TLS between clients and the proxy, with real Kafka clients (Java and librdkafka through kcat) and
 * certificates the test makes: a client that trusts the proxy's CA produces and consumes; one that
 * meets another host's certificate, another CA's or an expired one refuses the proxy; and with
 * {@code client-auth: required} the proxy refuses clients without a certificate of its trusted CA.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListenerTlsProxyTest {
    private Path dir;
    private KafkaTestCluster kafka;
    private TestKms kms;
    private TestCertificates ca;
    private TestCertificates otherCa;
    private final List<KeyholdProxy> proxies = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("keyhold-tls");
        kafka = KafkaTestCluster.start(1);
        kms = new TestKms();
        ca = TestCertificates.ca(dir, "proxy-ca");
        otherCa = TestCertificates.ca(dir, "other-ca");
    }

    @AfterAll
    void stop() throws Exception {
        proxies.forEach(KeyholdProxy::close);
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private KeyholdProxy proxy(TlsSettings tls) {
        KeyholdProxy p = KeyholdProxy.start(ProxyConfig.builder("tls-" + proxies.size(), List.of(kafka.bootstrapServers()), "kek-tls")
                .clientTls(tls).build(), kms);
        proxies.add(p);
        return p;
    }

    /** The proxy's certificate for the address clients dial (127.0.0.1) and localhost. */
    private TlsSettings serving(TestCertificates.Issued cert) {
        return TlsSettings.server(cert.certFile(), cert.keyFile());
    }

    /** A Java client trusting {@code caFile}, host names checked (Kafka's default), with an optional client certificate. */
    private static Map<String, Object> javaSsl(Path caFile, TestCertificates.Issued clientCert) throws Exception {
        Map<String, Object> ssl = new HashMap<>(Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                "ssl.truststore.location", caFile.toString()));
        if (clientCert != null) {
            // Kafka's PEM key store takes the key and its certificate chain inline
            ssl.put("ssl.keystore.type", "PEM");
            ssl.put("ssl.keystore.key", Files.readString(clientCert.keyFile()));
            ssl.put("ssl.keystore.certificate.chain", Files.readString(clientCert.certFile()));
        }
        return ssl;
    }

    private static List<String> kcatSsl(Path caFile, TestCertificates.Issued clientCert) {
        List<String> args = new ArrayList<>(List.of("-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + caFile,
                "-X", "ssl.endpoint.identification.algorithm=https"));
        if (clientCert != null) {
            args.addAll(List.of("-X", "ssl.certificate.location=" + clientCert.certFile(), "-X", "ssl.key.location=" + clientCert.keyFile()));
        }
        return args;
    }

    /** Produces one record with the Java client and one with kcat, and reads both back with each. */
    private void producesAndConsumes(KeyholdProxy proxy, Map<String, Object> javaSsl, List<String> kcatSsl) throws Exception {
        String topic = "tls-" + UUID.randomUUID();
        kafka.createTopic(topic, 1, Map.of());
        String viaJava = "java-" + UUID.randomUUID();
        String viaKcat = "kcat-" + UUID.randomUUID();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), javaSsl)) {
            producer.send(new ProducerRecord<>(topic, viaJava.getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
        }
        List<String> produce = new ArrayList<>(List.of(Commands.kcat(), "-b", proxy.bootstrapServers(), "-P", "-t", topic));
        produce.addAll(kcatSsl);
        Commands.run(viaKcat + "\n", produce.toArray(String[]::new));
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), javaSsl)) {
            consumer.subscribe(List.of(topic));
            assertThat(Clients.poll(consumer, 2, Duration.ofSeconds(60))).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly(viaJava, viaKcat);
        }
        List<String> consume = new ArrayList<>(List.of(Commands.kcat(), "-b", proxy.bootstrapServers(), "-C", "-t", topic,
                "-o", "beginning", "-c", "2", "-e", "-q"));
        consume.addAll(kcatSsl);
        assertThat(Commands.run("", consume.toArray(String[]::new)).lines()).containsExactly(viaJava, viaKcat);
        assertThat(AtRest.filesContaining(kafka.logDirs(), viaKcat)).isEmpty();
    }

    /** The Java client cannot get past the TLS handshake; returns the messages of the failure's causes. */
    private static String javaRefused(KeyholdProxy proxy, Map<String, Object> ssl) {
        Properties p = new Properties();
        p.put("bootstrap.servers", proxy.bootstrapServers());
        p.put("default.api.timeout.ms", 20_000);
        p.put("request.timeout.ms", 10_000);
        p.put("reconnect.backoff.max.ms", 1_000);
        p.putAll(ssl);
        try (Admin admin = Admin.create(p)) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS));
            assertThat(t).as("the client got through").isNotNull();
            assertThat(t.getCause()).isInstanceOf(SslAuthenticationException.class);
            StringBuilder messages = new StringBuilder();
            for (Throwable c = t; c != null; c = c.getCause()) {
                messages.append(c.getMessage()).append('\n');
            }
            return messages.toString();
        }
    }

    /** kcat cannot get metadata through the proxy; returns what it said. */
    private static String kcatRefused(KeyholdProxy proxy, List<String> ssl) throws Exception {
        List<String> list = new ArrayList<>(List.of(Commands.kcat(), "-b", proxy.bootstrapServers(), "-L", "-m", "10"));
        list.addAll(ssl);
        Commands.Result r = Commands.exec("", list.toArray(String[]::new));
        assertThat(r.exit()).as("kcat should fail: " + r.out()).isNotZero();
        assertThat(r.out()).doesNotContain("topics:");
        return r.err();
    }

    @Test
    void clientsTrustingTheProxysCaProduceAndConsume() throws Exception {
        KeyholdProxy proxy = proxy(serving(ca.issue("proxy-good", "127.0.0.1", "localhost")));
        producesAndConsumes(proxy, javaSsl(ca.caFile(), null), kcatSsl(ca.caFile(), null));
    }

    @Test
    void clientsRefuseACertificateForAnotherHost() throws Exception {
        KeyholdProxy proxy = proxy(serving(ca.issue("proxy-misnamed", "kafka.other.example")));
        assertThat(javaRefused(proxy, javaSsl(ca.caFile(), null))).contains("No subject alternative names matching IP address 127.0.0.1");
        kcatRefused(proxy, kcatSsl(ca.caFile(), null));
    }

    @Test
    void clientsRefuseACertificateOfAnUntrustedCa() throws Exception {
        KeyholdProxy proxy = proxy(serving(ca.issue("proxy-for-untrusted", "127.0.0.1", "localhost")));
        assertThat(javaRefused(proxy, javaSsl(otherCa.caFile(), null))).contains("unable to find valid certification path");
        kcatRefused(proxy, kcatSsl(otherCa.caFile(), null));
    }

    @Test
    void clientsRefuseAnExpiredCertificate() throws Exception {
        KeyholdProxy proxy = proxy(serving(ca.expired("proxy-expired", "127.0.0.1", "localhost")));
        assertThat(javaRefused(proxy, javaSsl(ca.caFile(), null))).contains("NotAfter");
        kcatRefused(proxy, kcatSsl(ca.caFile(), null));
    }

    @Test
    void clientAuthRequiredRefusesClientsWithoutATrustedCertificate() throws Exception {
        TestCertificates clientCa = TestCertificates.ca(dir, "client-ca");
        TestCertificates.Issued server = ca.issue("proxy-mtls", "127.0.0.1", "localhost");
        KeyholdProxy proxy = proxy(TlsSettings.server(server.certFile(), server.keyFile(), ClientAuth.REQUIRED, clientCa.caFile()));

        javaRefused(proxy, javaSsl(ca.caFile(), null));
        kcatRefused(proxy, kcatSsl(ca.caFile(), null));
        TestCertificates.Issued foreign = otherCa.issue("client-foreign", "client-a");
        javaRefused(proxy, javaSsl(ca.caFile(), foreign));
        kcatRefused(proxy, kcatSsl(ca.caFile(), foreign));
        TestCertificates.Issued expired = clientCa.expired("client-expired", "client-a");
        javaRefused(proxy, javaSsl(ca.caFile(), expired));
        kcatRefused(proxy, kcatSsl(ca.caFile(), expired));

        TestCertificates.Issued good = clientCa.issue("client-good", "client-a");
        producesAndConsumes(proxy, javaSsl(ca.caFile(), good), kcatSsl(ca.caFile(), good));
    }

    @Test
    void clientAuthRequestedLetsClientsWithoutACertificateInButNotAnUntrustedOne() throws Exception {
        TestCertificates.Issued server = ca.issue("proxy-requested", "127.0.0.1", "localhost");
        KeyholdProxy proxy = proxy(TlsSettings.server(server.certFile(), server.keyFile(), ClientAuth.REQUESTED, ca.caFile()));
        producesAndConsumes(proxy, javaSsl(ca.caFile(), null), kcatSsl(ca.caFile(), null));
        // librdkafka presents its certificate whoever signed it (the JDK client would send none, as
        // it offers only certificates of the CAs the proxy names): a certificate presented must be trusted.
        kcatRefused(proxy, kcatSsl(ca.caFile(), otherCa.issue("client-foreign-requested", "client-b")));
    }
}
