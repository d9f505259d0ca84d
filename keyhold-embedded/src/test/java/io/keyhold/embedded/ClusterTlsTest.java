package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.proxy.CapturedStderr;
import io.keyhold.proxy.TestCertificates;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyhold server} with TLS on its cluster endpoints ({@code cluster-tls}, here from the
 * environment): clients produce and consume over TLS with a client certificate, plaintext clients and
 * clients without a certificate are refused, readiness still sees the cluster serve, and the API shows
 * the endpoint as TLS. Without TLS, endpoints on a network address warn at start and in the API.
 */
class ClusterTlsTest {
    private static final String KEY = "CLUSTERTLSKEY";
    private static final String SECRET = "cluster-tls-test-secret-0123456789";

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    private static final String PASSPHRASE = "cluster tls test passphrase";

    /** The server flags of the test that starts its runtime by hand (to capture what it logs). */
    private Map<String, String> flags() throws Exception {
        Map<String, String> flags = new HashMap<>(RunningServer.localKmsPassphrase(dataDir, PASSPHRASE));
        flags.putAll(Map.of("data-dir", dataDir.toString(), "http-port", "0", "bind", "127.0.0.1"));
        return flags;
    }

    /** Creates a cluster with automatic encryption and returns its API path. */
    private String createCluster(String url, String env) throws Exception {
        return RestClient.clusterPath(rest.createCluster(url, env, "tls", null), env);
    }

    @Test
    void clusterEndpointsServeTlsAndRequireTrustedClientCertificates() throws Exception {
        TestCertificates serverCa = TestCertificates.ca(dataDir, "cluster-ca");
        TestCertificates clientCa = TestCertificates.ca(dataDir, "client-ca");
        // for servers only: the readiness probe presents it as a client certificate all the same
        TestCertificates.Issued endpointCert = serverCa.serverOnly("cluster-endpoint", "127.0.0.1", "localhost");
        TestCertificates.Issued clientCert = clientCa.issue("kafka-client", "orders-service");
        int ports = EmbeddedClustersTest.freeRangeStart();
        Map<String, String> env = Map.of("KEYHOLD_CLUSTER_PORTS", ports + "-" + (ports + 40),
                "KEYHOLD_CLUSTER_TLS_CERTIFICATE", endpointCert.certFile().toString(),
                "KEYHOLD_CLUSTER_TLS_KEY", endpointCert.keyFile().toString(),
                "KEYHOLD_CLUSTER_TLS_CLIENT_AUTH", "required",
                "KEYHOLD_CLUSTER_TLS_TRUST", clientCa.caFile().toString());
        try (RunningServer server = RunningServer.start(KEY, SECRET, dataDir,
                RunningServer.localKmsPassphrase(dataDir, PASSPHRASE), env, null, env)) {
            String url = server.url();
            String cluster = createCluster(url, server.server().bootstrapEnvironmentId());
            String endpoint = rest.awaitProvisioned(url, cluster);
            JsonNode described = rest.send(url, "GET", cluster, null, 200);
            assertThat(endpoint).matches("127\\.0\\.0\\.1:\\d+");
            assertThat(described.path("status").path("endpoint_tls").asBoolean()).isTrue();
            assertThat(described.path("status").path("endpoint_client_auth").asText()).isEqualTo("required");
            assertThat(described.path("status").has("endpoint_warning")).isFalse();

            Map<String, Object> tls = new HashMap<>(Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                    "ssl.truststore.location", serverCa.caFile().toString(), "ssl.keystore.type", "PEM",
                    "ssl.keystore.key", Files.readString(clientCert.keyFile()),
                    "ssl.keystore.certificate.chain", Files.readString(clientCert.certFile())));
            String value = "over-tls-" + UUID.randomUUID();
            EmbeddedClustersTest.produce(endpoint, tls, "tls-topic", value);
            List<String> kcatTls = List.of("-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + serverCa.caFile(),
                    "-X", "ssl.certificate.location=" + clientCert.certFile(), "-X", "ssl.key.location=" + clientCert.keyFile());
            Kcat.produce(endpoint, "tls-topic", List.of("kcat-" + value), kcatTls);
            assertThat(EmbeddedClustersTest.consume(endpoint, tls, "tls-topic", 2)).containsExactly(value, "kcat-" + value);
            assertThat(Kcat.consume(endpoint, "tls-topic", 2, kcatTls)).containsExactly(value, "kcat-" + value);

            assertThat(reachable(endpoint, Map.of())).as("a plaintext client").isFalse();
            assertThat(reachable(endpoint, Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                    "ssl.truststore.location", serverCa.caFile().toString()))).as("a client without a certificate").isFalse();

            // Readiness probes the endpoint through TLS (with the endpoint's own certificate as client certificate).
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/readyz"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        }
    }

    @Test
    void plaintextEndpointsOnANetworkAddressWarnAtStartAndInDescribe() throws Exception {
        int ports = EmbeddedClustersTest.freeRangeStart();
        try (CapturedStderr log = new CapturedStderr()) {
            ClusterRuntime loopback = new EmbeddedRuntimeProvider().create(ServerConfigLoader.load(flags(), Map.of(), null).build(),
                    Map.of("KEYHOLD_CLUSTER_PORTS", ports + "-" + (ports + 40)));
            assertThat(loopback.endpointSecurity()).isEqualTo(new ClusterRuntime.EndpointSecurity(false, "none", null));
            ((AutoCloseable) loopback).close();
            assertThat(log.text()).doesNotContain("without TLS");
        }
        // 192.0.2.1 (TEST-NET-1) is no address of this machine: the cluster's proxy cannot bind it, so
        // nothing listens beyond loopback; the warning is about the configuration.
        Map<String, String> env = Map.of("KEYHOLD_CLUSTER_PORTS", ports + "-" + (ports + 40), "KEYHOLD_CLUSTER_BIND", "192.0.2.1");
        ServerConfig.Builder builder = ServerConfigLoader.load(flags(), env, null);
        ClusterRuntime runtime;
        try (CapturedStderr log = new CapturedStderr()) {
            runtime = new EmbeddedRuntimeProvider().create(builder.build(), env);
            assertThat(log.text()).contains("WARN").contains("cluster endpoints listen on 192.0.2.1 (KEYHOLD_CLUSTER_BIND), which is"
                    + " not a loopback address, without TLS: decrypted records would cross the network in clear");
        }
        try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                .printBootstrapSecret(false).build())) {
            String cluster = createCluster(server.url(), server.bootstrapEnvironmentId());
            JsonNode status = rest.send(server.url(), "GET", cluster, null, 200).path("status");
            assertThat(status.path("endpoint_tls").isBoolean()).isTrue();
            assertThat(status.path("endpoint_tls").asBoolean()).isFalse();
            assertThat(status.path("endpoint_warning").asText()).contains("plaintext").contains("in clear");
        } finally {
            ((AutoCloseable) runtime).close();
        }
    }

    /** Whether a Kafka client with these settings gets the cluster's metadata through {@code endpoint}. */
    private static boolean reachable(String endpoint, Map<String, Object> security) {
        Properties p = new Properties();
        p.put("bootstrap.servers", endpoint);
        p.put("default.api.timeout.ms", 10_000);
        p.put("request.timeout.ms", 5_000);
        p.putAll(security);
        try (Admin admin = Admin.create(p)) {
            admin.describeCluster().nodes().get(20, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
