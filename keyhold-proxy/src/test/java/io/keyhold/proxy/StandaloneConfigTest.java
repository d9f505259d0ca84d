package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StandaloneConfigTest {
    private static StandaloneConfig parse(String yaml, Map<String, String> env) throws Exception {
        return StandaloneConfig.parse(new ObjectMapper(new YAMLFactory()).readTree(yaml), Path.of("/etc/keyhold"), env::get);
    }

    @Test
    void readsClustersWithDefaultsAndEnvironmentSecrets() throws Exception {
        StandaloneConfig c = parse("""
                kms:
                  provider: local
                  settings:
                    data-dir: /var/lib/keyhold/kms
                    passphrase: ${KMS_PASS}
                clusters:
                  - id: orders
                    upstream: [b1:9092, "b2:9092"]
                    key: orders-kek
                    listen: 0.0.0.0:9192
                    broker-port-base: 9200
                    unencrypted-records: pass-through
                    tls: { cert: proxy.pem, key: proxy.key }
                  - id: audit
                    upstream: b3:9092,b4:9092
                    key: audit-kek
                """, Map.of("KMS_PASS", "s3cret"));
        assertThat(c.clusters()).hasSize(2);
        StandaloneConfig.Cluster orders = c.clusters().get(0);
        assertThat(orders.proxy().upstreamBootstrap()).containsExactly("b1:9092", "b2:9092");
        assertThat(orders.proxy().listenHost()).isEqualTo("0.0.0.0");
        assertThat(orders.proxy().advertisedHost()).isEqualTo("localhost");
        assertThat(orders.proxy().brokerPortBase()).isEqualTo(9200);
        assertThat(orders.proxy().unencryptedRecords()).isEqualTo(UnencryptedRecordPolicy.PASS_THROUGH);
        assertThat(orders.proxy().clientTls().certificateChain()).isEqualTo(Path.of("/etc/keyhold/proxy.pem"));
        assertThat(orders.kmsProvider()).isEqualTo("local");
        assertThat(orders.kmsSettings().require("passphrase")).isEqualTo("s3cret");
        assertThat(orders.kmsSettings().toString()).doesNotContain("s3cret");
        StandaloneConfig.Cluster audit = c.clusters().get(1);
        assertThat(audit.proxy().upstreamBootstrap()).isEqualTo(List.of("b3:9092", "b4:9092"));
        assertThat(audit.proxy().listenPort()).isEqualTo(9192);
        assertThat(audit.proxy().unencryptedRecords()).isEqualTo(UnencryptedRecordPolicy.REJECT);
    }

    @Test
    void readsTheKeyHealthSettingsAndTheAuditFileWithDefaults() throws Exception {
        StandaloneConfig c = parse("""
                kms: { provider: local }
                health-interval: 1500ms
                kms-unavailable-grace: 2m
                audit: { file: audit/proxy.jsonl }
                clusters: [{id: a, upstream: [b:9092], key: k}]
                """, Map.of());
        assertThat(c.healthInterval()).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(c.kmsUnavailableGrace()).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(c.auditFile()).isEqualTo(Path.of("/etc/keyhold/audit/proxy.jsonl"));
        StandaloneConfig d = parse("kms: { provider: local }\nclusters: [{id: a, upstream: [b:9092], key: k}]\n", Map.of());
        assertThat(d.healthInterval()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(d.kmsUnavailableGrace()).isEqualTo(java.time.Duration.ofMinutes(10));
        assertThat(d.auditFile()).isNull();
        assertThatThrownBy(() -> parse("kms: { provider: local }\nhealth-interval: 0s\nclusters: [{id: a, upstream: [b:9092], key: k}]\n",
                Map.of())).hasMessageContaining("'health-interval' must be positive");
        assertThatThrownBy(() -> parse("kms: { provider: local }\naudit: { path: x }\nclusters: [{id: a, upstream: [b:9092], key: k}]\n",
                Map.of())).hasMessageContaining("unknown key 'path'");
    }

    @Test
    void readsSaslAndTheLimitsOnWhatClientsCanMakeTheProxyHold() throws Exception {
        StandaloneConfig c = parse("""
                kms: { provider: local }
                clusters:
                  - id: tuned
                    upstream: b1:9092
                    key: k
                    upstream-sasl: required
                    max-connections: 500
                    max-connections-per-address: 20
                    frame-timeout-ms: 5000
                    idle-timeout-ms: 60000
                    max-decompressed-bytes: 4294967296
                  - id: defaults
                    upstream: b1:9092
                    key: k
                """, Map.of());
        ProxyConfig tuned = c.clusters().get(0).proxy();
        assertThat(tuned.upstreamSasl()).isEqualTo(UpstreamSasl.REQUIRED);
        assertThat(tuned.limits()).isEqualTo(ProxyConfig.Limits.DEFAULT.withConnections(500, 20)
                .withTimeouts(java.time.Duration.ofSeconds(5), java.time.Duration.ofMinutes(1)).withMaxDecompressedBytes(4L << 30));
        ProxyConfig defaults = c.clusters().get(1).proxy();
        assertThat(defaults.upstreamSasl()).isEqualTo(UpstreamSasl.DETECT);
        assertThat(defaults.limits()).isEqualTo(ProxyConfig.Limits.DEFAULT);
        assertThat(defaults.limits().maxConnections()).isEqualTo(10_000);
        assertThat(defaults.limits().frameTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(defaults.limits().idleTimeout()).isEqualTo(java.time.Duration.ofMinutes(10));

        String base = "kms: { provider: local }\nclusters: [{id: a, upstream: 'h:1', key: k, ";
        assertThatThrownBy(() -> parse(base + "upstream-sasl: maybe}]", Map.of()))
                .hasMessageContaining("cluster 'a': 'upstream-sasl' must be 'detect' or 'required'");
        assertThatThrownBy(() -> parse(base + "max-connections: 0}]", Map.of()))
                .hasMessageContaining("cluster 'a': 'max-connections' must be a positive whole number");
        assertThatThrownBy(() -> parse(base + "frame-timeout-ms: soon}]", Map.of())).hasMessageContaining("'frame-timeout-ms'");
        assertThatThrownBy(() -> parse(base + "max-decompressed-bytes: 1000}]", Map.of()))
                .hasMessageContaining("maxDecompressedBytes must be at least 1 MiB");
    }

    @Test
    void clusterKeysAreOnByDefaultAndTakeTheKeyTopicClientsSettings() throws Exception {
        StandaloneConfig c = parse("""
                kms: { provider: local }
                clusters:
                  - id: keyed
                    upstream: b1:9092
                    key: k
                    cluster-keys-client: { sasl.mechanism: SCRAM-SHA-512, sasl.jaas.config: "${JAAS}" }
                    cluster-key-ttl-ms: 600000
                  - id: direct-deks
                    upstream: b1:9092
                    key: k
                    cluster-keys: false
                """, Map.of("JAAS", "scram-login"));
        ProxyConfig.ClusterKeys keys = c.clusters().get(0).proxy().clusterKeys();
        assertThat(keys.clientProperties()).containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("sasl.jaas.config", "scram-login");
        assertThat(keys.keyTtl()).isEqualTo(java.time.Duration.ofMinutes(10));
        assertThat(keys.toString()).contains("sasl.jaas.config").doesNotContain("scram-login");
        assertThat(c.clusters().get(1).proxy().clusterKeys()).isNull();
        assertThatThrownBy(() -> parse("kms: { provider: local }\nclusters: [{id: a, upstream: 'h:1', key: k,"
                + " cluster-keys-client: {enable.idempotence: 'false'}}]", Map.of()))
                .hasMessageContaining("may set only security.protocol, sasl.* and ssl.*");
        assertThatThrownBy(() -> parse("kms: { provider: local }\nclusters: [{id: a, upstream: 'h:1', key: k, cluster-keys: maybe}]",
                Map.of())).hasMessageContaining("'cluster-keys' must be true or false");
    }

    @Test
    void refusesMissingPiecesWithClearMessages() {
        assertThatThrownBy(() -> parse("clusters: []", Map.of())).hasMessageContaining("at least one cluster");
        assertThatThrownBy(() -> parse("clusters: [{id: a, key: k}]", Map.of())).hasMessageContaining("'upstream'");
        assertThatThrownBy(() -> parse("clusters: [{id: a, upstream: 'h:1', key: k}]", Map.of())).hasMessageContaining("no KMS");
        assertThatThrownBy(() -> parse("kms: {provider: local, settings: {p: '${NOPE}'}}\nclusters: [{id: a, upstream: 'h:1', key: k}]",
                Map.of())).hasMessageContaining("NOPE is not set");
    }

    private static final String ONE_CLUSTER = "kms: {provider: local}\nclusters: [{id: a, upstream: 'h:1', key: k}]\n";

    @Test
    void auditSectionIsOptionalAndNamesTheFile() throws Exception {
        assertThat(parse(ONE_CLUSTER, Map.of()).auditFile()).isNull();
        assertThat(parse(ONE_CLUSTER + "audit: {file: /var/log/keyhold/audit.jsonl}\n", Map.of()).auditFile())
                .isEqualTo(Path.of("/var/log/keyhold/audit.jsonl"));
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "audit: {}\n", Map.of())).hasMessageContaining("'audit.file'");
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "audit: {file: a, fsync: never}\n", Map.of())).hasMessageContaining("fsync");
    }

    @Test
    void metricsSectionIsOptionalAndNeedsATokenFromTheEnvironment() throws Exception {
        assertThat(parse(ONE_CLUSTER, Map.of()).metrics()).isNull();
        String token = "0123456789abcdef0123456789abcdef";
        StandaloneConfig c = parse(ONE_CLUSTER + """
                metrics:
                  listen: 127.0.0.1:9464
                  token-env: SCRAPE_TOKEN
                  tls: { cert: m.pem, key: m.key }
                """, Map.of("SCRAPE_TOKEN", token));
        assertThat(c.metrics().listen()).isEqualTo(new ProxyConfig.HostPort("127.0.0.1", 9464));
        assertThat(c.metrics().token()).isEqualTo(token);
        assertThat(c.metrics().tokenEnv()).isEqualTo("SCRAPE_TOKEN");
        assertThat(c.metrics().tls().certificateChain()).isEqualTo(Path.of("/etc/keyhold/m.pem"));
        assertThat(c.metrics().toString()).doesNotContain(token);
        assertThat(c.toString()).doesNotContain(token);
    }

    @Test
    void refusesAMetricsEndpointWithoutAuthentication() {
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "metrics: {listen: '127.0.0.1:9464'}", Map.of()))
                .hasMessageContaining("'metrics.token-env' is required").hasMessageContaining("authentication");
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "metrics: {listen: '127.0.0.1:9464', token-env: T}", Map.of()))
                .hasMessageContaining("environment variable T (metrics.token-env) is not set");
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "metrics: {listen: '127.0.0.1:9464', token-env: T}", Map.of("T", "")))
                .hasMessageContaining("is not set");
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "metrics: {listen: '127.0.0.1:9464', token-env: T}", Map.of("T", "short")))
                .hasMessageContaining("at least 16 characters");
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "metrics: {token-env: T}", Map.of("T", "0123456789abcdef")))
                .hasMessageContaining("'metrics.listen'");
        assertThatThrownBy(() -> parse(ONE_CLUSTER + "metrics: {listen: '127.0.0.1:9464', token_env: T}", Map.of()))
                .hasMessageContaining("unknown key 'token_env'");
    }

    @Test
    void upstreamTlsResolvesRelativePathsAndRefusesUnknownKeysAndBadAddresses() throws Exception {
        String kms = "kms: {provider: local}\n";
        StandaloneConfig c = parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, upstream-tls: {trust: ca.pem, cert: c.pem, key: c.key}}]",
                Map.of());
        TlsSettings tls = c.clusters().get(0).proxy().upstreamTls();
        assertThat(tls.trustedCertificates()).isEqualTo(Path.of("/etc/keyhold/ca.pem"));
        assertThat(tls.certificateChain()).isEqualTo(Path.of("/etc/keyhold/c.pem"));
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, upstream-tls: {trusted: ca.pem}}]", Map.of()))
                .hasMessageContaining("cluster 'a': upstream TLS: unknown key 'trusted'");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, upstream-tls: {cert: c.pem}}]", Map.of()))
                .hasMessageContaining("'cert' and 'key'");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: [h1], key: k}]", Map.of()))
                .hasMessageContaining("cluster 'a': 'upstream': expected host:port, got 'h1'");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: [], key: k}]", Map.of()))
                .hasMessageContaining("'upstream' must list at least one host:port");
    }

    @Test
    void listenerTlsReadsClientAuthAndRefusesSettingsThatWouldCheckNothing() throws Exception {
        String kms = "kms: {provider: local}\n";
        TlsSettings tls = parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {cert: p.pem, key: p.key, client-auth: required,"
                + " trust: clients.pem}}]", Map.of()).clusters().get(0).proxy().clientTls();
        assertThat(tls.clientAuth()).isEqualTo(TlsSettings.ClientAuth.REQUIRED);
        assertThat(tls.trustedCertificates()).isEqualTo(Path.of("/etc/keyhold/clients.pem"));
        assertThat(parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {cert: p.pem, key: p.key}}]", Map.of())
                .clusters().get(0).proxy().clientTls().clientAuth()).isEqualTo(TlsSettings.ClientAuth.NONE);
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {cert: p.pem, key: p.key,"
                + " client-auth: required}}]", Map.of())).hasMessageContaining("cluster 'a': tls: 'client-auth: required' needs 'trust'");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {cert: p.pem, key: p.key,"
                + " trust: clients.pem}}]", Map.of())).hasMessageContaining("'client-auth' is none");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {cert: p.pem, key: p.key,"
                + " client-auth: always, trust: c.pem}}]", Map.of())).hasMessageContaining("must be none, requested or required");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {cert: p.pem, key: p.key, ca: c.pem}}]",
                Map.of())).hasMessageContaining("cluster 'a': tls: unknown key 'ca'");
        assertThatThrownBy(() -> parse(kms + "clusters: [{id: a, upstream: 'h:1', key: k, tls: {key: p.key}}]", Map.of()))
                .hasMessageContaining("cluster 'a': TLS 'cert' is required");
    }
}
