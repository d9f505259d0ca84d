package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.proxy.cli.ProxyCommand;
import io.keyhold.proxy.internal.MetricsEndpoint;
import io.keyhold.proxy.internal.ProxyCounters;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyhold proxy} with a {@code metrics} section, end to end: a real broker, the real command
 * with the local KMS, real Kafka clients, and scrapes over real HTTP(S) on 127.0.0.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneMetricsTest {
    private static final String TOKEN = "scrape-token-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private KafkaTestCluster kafka;

    @BeforeAll
    void startKafka() {
        kafka = KafkaTestCluster.start(1);
    }

    @AfterAll
    void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void scrapesEveryClusterOfTheProcessWithTheTokenOnlyAndAnswersErrorsInTheApiFormat(@TempDir Path dir) throws Exception {
        try (LocalKms local = LocalKms.open(LocalKmsOptions.of(dir.resolve("kms"), "metrics passphrase".toCharArray()))) {
            local.create("orders-key");
            local.create("audit-key");
        }
        Files.writeString(dir.resolve("passphrase.txt"), "metrics passphrase");
        int orders = freePort();
        int audit = freePort();
        int metrics = freePort();
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, String.join("\n",
                "kms:",
                "  provider: local",
                "  settings:",
                "    data-dir: " + dir.resolve("kms"),
                "    passphrase-file: " + dir.resolve("passphrase.txt"),
                "clusters:",
                "  - id: orders",
                "    upstream: " + kafka.bootstrapServers(),
                "    key: orders-key",
                "    listen: 127.0.0.1:" + orders,
                "  - id: audit",
                "    upstream: " + kafka.bootstrapServers(),
                "    key: audit-key",
                "    listen: 127.0.0.1:" + audit,
                "metrics:",
                "  listen: 127.0.0.1:" + metrics,
                "  token-env: SCRAPE_TOKEN",
                ""));
        Map<String, String> env = Map.of("SCRAPE_TOKEN", TOKEN);
        ProxyCommand command = new ProxyCommand(env::get);
        AtomicInteger exit = new AtomicInteger(-1);
        Thread t = new Thread(() -> exit.set(new picocli.CommandLine(command).execute("--config", config.toString())));
        t.start();
        try {
            awaitListening(metrics, t, exit); // the endpoint opens after every proxy is up
            String topic = "metrics-" + System.nanoTime();
            kafka.createTopic(topic, 1, Map.of());
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer("127.0.0.1:" + orders, Map.of())) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>(topic, ("record " + i).getBytes(StandardCharsets.UTF_8))).get();
                }
                // The producer's connections are still open while we scrape.
                HttpResponse<String> ok = get("http://127.0.0.1:" + metrics + "/metrics", "Bearer " + TOKEN);
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
                assertThat(ok.body().lines().toList())
                        .contains("# TYPE keyhold_proxy_records_encrypted_total counter")
                        .contains("keyhold_proxy_records_encrypted_total{cluster=\"orders\"} 5")
                        .contains("keyhold_proxy_records_encrypted_total{cluster=\"audit\"} 0")
                        .contains("keyhold_proxy_locked{cluster=\"orders\"} 0")
                        .contains("keyhold_proxy_deks{cluster=\"orders\",cache=\"encryption\"} 1")
                        .contains("keyhold_proxy_connections_open{cluster=\"audit\"} 0");
                assertThat(sample(ok.body(), "keyhold_proxy_connections_open{cluster=\"orders\"}")).isPositive();
                assertThat(sample(ok.body(), "keyhold_proxy_connections_accepted_total{cluster=\"orders\"}")).isPositive();
            }

            String url = "http://127.0.0.1:" + metrics + "/metrics";
            assertUnauthenticated(get(url, null));
            assertUnauthenticated(get(url, "Bearer " + TOKEN + "x"));
            assertUnauthenticated(get(url, "Bearer " + TOKEN.substring(1)));
            assertUnauthenticated(get(url, "Basic " + java.util.Base64.getEncoder().encodeToString(("x:" + TOKEN).getBytes())));
            assertUnauthenticated(get("http://127.0.0.1:" + metrics + "/nothing-here", null));
            // The scheme is case-insensitive (RFC 9110); the token is not.
            assertThat(get(url, "bearer " + TOKEN).statusCode()).isEqualTo(200);
            assertThat(get(url, "Bearer " + TOKEN.toUpperCase(java.util.Locale.ROOT)).statusCode()).isEqualTo(401);

            assertError(get("http://127.0.0.1:" + metrics + "/nothing-here", "Bearer " + TOKEN), 404, "not_found");
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertError(post, 405, "method_not_allowed");
            assertThat(post.headers().firstValue("Allow")).hasValue("GET");
        } finally {
            command.stop();
            t.join(30_000);
        }
        assertThat(exit.get()).isZero();
        assertThat(canConnect(metrics)).as("metrics endpoint still listening after the proxy stopped").isFalse();
    }

    @Test
    void servesOverTlsWhenConfigured(@TempDir Path dir) throws Exception {
        assertThat(Files.isExecutable(Path.of("/usr/bin/openssl")))
                .as("this test makes its certificate with openssl: apt-get install openssl (.ci/run does)").isTrue();
        Path cert = dir.resolve("metrics.pem");
        Path key = dir.resolve("metrics.key");
        Process p = new ProcessBuilder("/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1")
                .redirectErrorStream(true).start();
        String opensslOutput = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(opensslOutput).isZero();

        ProxyCounters counters = new ProxyCounters();
        counters.recordsDecrypted.add(42);
        ProxyMetrics m = new ProxyMetrics("tls \"cluster\"", counters, () -> true, () -> 0, () -> 3);
        int port = freePort();
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(new ProxyConfig.HostPort("127.0.0.1", port), TOKEN,
                TlsSettings.server(cert, key), List.of(m))) {
            assertThat(endpoint.address().getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            HttpClient https = HttpClient.newBuilder().sslContext(trusting(cert)).connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> ok = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/metrics"))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body().lines().toList()).contains("keyhold_proxy_records_decrypted_total{cluster=\"tls \\\"cluster\\\"\"} 42",
                    "keyhold_proxy_locked{cluster=\"tls \\\"cluster\\\"\"} 1",
                    "keyhold_proxy_deks{cluster=\"tls \\\"cluster\\\"\",cache=\"decryption\"} 3");
            HttpResponse<String> anonymous = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertUnauthenticated(anonymous);
            // Plain HTTP on the TLS port gets nothing readable.
            assertThat(canScrapePlain(port)).isFalse();
        }
    }

    private HttpResponse<String> get(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertUnauthenticated(HttpResponse<String> r) throws IOException {
        assertError(r, 401, "user_unauthenticated");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"keyhold-proxy\"");
        assertThat(r.body()).doesNotContain("keyhold_proxy_").doesNotContain(TOKEN);
    }

    /** The byok/v1 error shape, as keyhold-server answers: {"errors":[{id,status,code,title,detail}]}, id = X-Request-Id. */
    private static void assertError(HttpResponse<String> r, int status, String code) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode errors = JSON.readTree(r.body()).path("errors");
        assertThat(errors.size()).isEqualTo(1);
        JsonNode e = errors.get(0);
        assertThat(e.path("status").asText()).isEqualTo(Integer.toString(status));
        assertThat(e.path("code").asText()).isEqualTo(code);
        assertThat(e.path("title").asText()).isNotBlank();
        assertThat(e.path("detail").asText()).isNotBlank();
        assertThat(e.path("id").asText()).isNotBlank().isEqualTo(r.headers().firstValue("X-Request-Id").orElse(null));
    }

    private static long sample(String body, String series) {
        return body.lines().filter(l -> l.startsWith(series + " ")).mapToLong(l -> Long.parseLong(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no sample " + series + " in\n" + body));
    }

    private static SSLContext trusting(Path cert) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            trust.setCertificateEntry("metrics", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private boolean canScrapePlain(int port) {
        try {
            return get("http://127.0.0.1:" + port + "/metrics", "Bearer " + TOKEN).body().contains("keyhold_proxy_");
        } catch (Exception e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitListening(int port, Thread command, AtomicInteger exit) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!canConnect(port)) {
            assertThat(command.isAlive()).as("standalone proxy exited with " + exit.get()).isTrue();
            assertThat(System.nanoTime()).as("metrics endpoint did not open").isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
