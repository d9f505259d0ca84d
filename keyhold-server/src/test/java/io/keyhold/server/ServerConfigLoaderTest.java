package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void defaults() {
        ServerConfig c = ServerConfigLoader.load(Map.of(), Map.of(), null).build();
        assertThat(c.dataDir()).isEqualTo(Path.of("data"));
        assertThat(c.httpPort()).isEqualTo(8090);
        assertThat(c.bind()).isEqualTo("127.0.0.1");
        assertThat(c.databaseUrl()).isNull();
        assertThat(c.releaseHold()).isEqualTo(Duration.ofDays(5));
        assertThat(c.maxKeysPerOrg()).isEqualTo(50);
        assertThat(c.failedLoginLimit()).isEqualTo(10);
        assertThat(c.failedLoginWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.tls()).isFalse();
        assertThat(c.insecureHttp()).isFalse();
    }

    @Test
    void flagsBeatEnvironmentBeatsFileBeatsDefaults() throws Exception {
        Path yaml = tmp.resolve("keyhold.yaml");
        Files.writeString(yaml, "http-port: 7000\nbind: 0.0.0.0\ninsecure-http: true\nrelease-hold: 10m\nmax-keys-per-org: 7\n"
                + "failed-login-limit: 5\nfailed-login-window: 2m\n"
                + "aws-roles: [arn:aws:iam::1:role/a, arn:aws:iam::1:role/b]\nkms:\n  aws:\n    region: eu-west-1\n");
        Map<String, String> env = new HashMap<>();
        env.put("KEYHOLD_HTTP_PORT", "7001");
        env.put("KEYHOLD_DATABASE_URL", "jdbc:postgresql://db/keyhold");
        env.put("KEYHOLD_DATABASE_PASSWORD", "pw");
        env.put("KEYHOLD_KMS_LOCAL_PASSPHRASE_FILE", "/run/secret");
        Map<String, String> flags = new HashMap<>();
        flags.put("http-port", "7002");
        flags.put("bind", null);
        ServerConfig c = ServerConfigLoader.load(flags, env, yaml).build();
        assertThat(c.httpPort()).isEqualTo(7002);
        assertThat(c.bind()).isEqualTo("0.0.0.0");
        assertThat(c.insecureHttp()).isTrue();
        assertThat(c.failedLoginLimit()).isEqualTo(5);
        assertThat(c.failedLoginWindow()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://db/keyhold");
        assertThat(c.databasePassword()).isEqualTo("pw");
        assertThat(c.releaseHold()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.maxKeysPerOrg()).isEqualTo(7);
        assertThat(c.awsRoles()).containsExactly("arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b");
        assertThat(c.kmsSettings()).containsEntry("aws.region", "eu-west-1").containsEntry("local.passphrase-file", "/run/secret");
        assertThat(c.toString()).doesNotContain("pw");
    }

    @Test
    void configFileFromEnvironment() throws Exception {
        Path yaml = tmp.resolve("k.yaml");
        Files.writeString(yaml, "data-dir: /srv/keyhold\n");
        assertThat(ServerConfigLoader.load(Map.of(), Map.of("KEYHOLD_CONFIG", yaml.toString()), null).build().dataDir())
                .isEqualTo(Path.of("/srv/keyhold"));
    }

    @Test
    void badValuesAreClearErrors() throws Exception {
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("http-port", "eighty"), Map.of(), null))
                .hasMessageContaining("http-port must be an integer");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("release-hold", "soon"), Map.of(), null))
                .hasMessageContaining("release-hold must be a duration");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("insecure-http", "yes"), Map.of(), null))
                .hasMessageContaining("insecure-http must be true or false");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("tls-cert-file", "/c.pem"), Map.of(), null).build())
                .hasMessageContaining("tls-cert-file and tls-key-file must be given together");
        Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "htp-port: 1\n");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), Map.of(), yaml)).hasMessageContaining("unknown server option 'htp-port'");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("http-port", "70000"), Map.of(), null).build())
                .hasMessageContaining("0..65535");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), Map.of("KEYHOLD_BOOTSTRAP_API_KEY", "K"), null).build())
                .hasMessageContaining("set together");
    }

    @Test
    void readsClusterTlsFromTheFileAndRefusesIncompleteSettings() throws Exception {
        io.keyhold.server.support.TestCertificates.Pem endpoint = io.keyhold.server.support.TestCertificates.ecPkcs8(tmp, "endpoint");
        io.keyhold.server.support.TestCertificates.Pem clients = io.keyhold.server.support.TestCertificates.ecPkcs8(tmp, "clients");
        Path yaml = tmp.resolve("cluster-tls.yaml");
        Files.writeString(yaml, "cluster-tls:\n  certificate: " + endpoint.cert() + "\n  key: " + endpoint.key()
                + "\n  client-auth: required\n  trust: " + clients.cert() + "\n");
        io.keyhold.proxy.TlsSettings tls = ServerConfigLoader.load(Map.of(), Map.of(), yaml).build().clusterTls();
        assertThat(tls.certificateChain()).isEqualTo(endpoint.cert());
        assertThat(tls.privateKey()).isEqualTo(endpoint.key());
        assertThat(tls.clientAuth()).isEqualTo(io.keyhold.proxy.TlsSettings.ClientAuth.REQUIRED);
        assertThat(tls.trustedCertificates()).isEqualTo(clients.cert());
        assertThat(ServerConfigLoader.load(Map.of(), Map.of(), null).build().clusterTls()).isNull();

        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), Map.of("KEYHOLD_CLUSTER_TLS_CERTIFICATE", endpoint.cert().toString()),
                null)).hasMessageContaining("cluster-tls.certificate and cluster-tls.key must be given together");
        Map<String, String> pair = Map.of("KEYHOLD_CLUSTER_TLS_CERTIFICATE", endpoint.cert().toString(),
                "KEYHOLD_CLUSTER_TLS_KEY", endpoint.key().toString());
        Map<String, String> requiredWithoutTrust = new HashMap<>(pair);
        requiredWithoutTrust.put("KEYHOLD_CLUSTER_TLS_CLIENT_AUTH", "required");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), requiredWithoutTrust, null)).hasMessageContaining("needs 'trust'");
        Map<String, String> trustWithoutClientAuth = new HashMap<>(pair);
        trustWithoutClientAuth.put("KEYHOLD_CLUSTER_TLS_TRUST", clients.cert().toString());
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), trustWithoutClientAuth, null))
                .hasMessageContaining("'client-auth' is none");
        Map<String, String> unknownMode = new HashMap<>(pair);
        unknownMode.put("KEYHOLD_CLUSTER_TLS_CLIENT_AUTH", "optional");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), unknownMode, null))
                .hasMessageContaining("must be none, requested or required");
        // the files are read at start: a key of another certificate stops the server
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("cluster-tls.certificate", endpoint.cert().toString(),
                "cluster-tls.key", clients.key().toString()), Map.of(), null).build()).hasMessageContaining("does not belong");
    }

    @Test
    void readsRegisteredKafkaClusters() throws Exception {
        Path yaml = tmp.resolve("keyhold.yaml");
        Files.writeString(yaml, """
                http-port: 7000
                kafka-clusters:
                  - name: prod-eu-1
                    bootstrap-servers: [b1:9092, "b2:9092"]
                    cloud: aws
                    region: eu-west-1
                    tls: { trust: ca.pem }
                    max-node-id: 3
                    cluster-keys-client:
                      security.protocol: SASL_SSL
                      sasl.mechanism: SCRAM-SHA-512
                      sasl.jaas.config: 'scram required username="keyhold" password="${KEYS_PW}";'
                  - name: lab
                    bootstrap-servers: ${LAB_KAFKA}
                """);
        ServerConfig c = ServerConfigLoader.load(Map.of(), Map.of("LAB_KAFKA", "lab1:9093,lab2:9093", "KEYS_PW", "pw-from-env"),
                yaml).build();
        assertThat(c.httpPort()).isEqualTo(7000);
        assertThat(c.kafkaClusters()).hasSize(2);
        RegisteredKafkaCluster prod = c.kafkaClusters().get(0);
        assertThat(prod.name()).isEqualTo("prod-eu-1");
        assertThat(prod.upstream().bootstrapServers()).containsExactly("b1:9092", "b2:9092");
        assertThat(prod.cloud()).isEqualTo("AWS");
        assertThat(prod.region()).isEqualTo("eu-west-1");
        assertThat(prod.upstream().tls().trustedCertificates()).isEqualTo(tmp.resolve("ca.pem").toAbsolutePath());
        assertThat(prod.maxNodeId()).isEqualTo(3);
        assertThat(prod.accepts("AWS", "eu-west-1")).isTrue();
        assertThat(prod.accepts("AWS", "us-east-1")).isFalse();
        assertThat(prod.accepts("GCP", "eu-west-1")).isFalse();
        assertThat(prod.keyTopicClient()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "scram required username=\"keyhold\" password=\"pw-from-env\";");
        assertThat(prod.toString()).contains("sasl.jaas.config").doesNotContain("pw-from-env");
        RegisteredKafkaCluster lab = c.kafkaClusters().get(1);
        assertThat(lab.upstream().bootstrapServers()).containsExactly("lab1:9093", "lab2:9093");
        assertThat(lab.upstream().tls()).isNull();
        assertThat(lab.cloud()).isNull();
        assertThat(lab.maxNodeId()).isEqualTo(RegisteredKafkaCluster.DEFAULT_MAX_NODE_ID);
        assertThat(lab.keyTopicClient()).isEmpty();
        assertThat(lab.accepts("GCP", "anywhere")).isTrue();
        assertThat(c.toString()).contains("prod-eu-1").doesNotContain("pw-from-env");
        assertThat(ServerConfigLoader.load(Map.of(), Map.of(), null).build().kafkaClusters()).isEmpty();
    }

    @Test
    void refusesBadKafkaClusterRegistrationsWithClearErrors() throws Exception {
        assertKafkaClustersError("kafka-clusters: {name: a}", "kafka-clusters must be a list");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1], regoin: x}]",
                "kafka-clusters[0]: unknown key 'regoin'");
        assertKafkaClustersError("kafka-clusters: [{bootstrap-servers: [h:1]}]", "kafka-clusters[0]: 'name' is required");
        assertKafkaClustersError("kafka-clusters: [{name: 'a b', bootstrap-servers: [h:1]}]", "got 'a b'");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1]}, {name: a, bootstrap-servers: [g:1]}]",
                "the name 'a' is used twice");
        assertKafkaClustersError("kafka-clusters: [{name: a}]", "kafka-clusters 'a': 'bootstrap-servers' (bootstrap servers) is required");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: []}]",
                "kafka-clusters 'a': 'bootstrap-servers' must list at least one host:port");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [broker-1]}]",
                "kafka-clusters 'a': 'bootstrap-servers': expected host:port, got 'broker-1'");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: ['h:99999']}]", "port out of range in 'h:99999'");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1]}, {name: b, bootstrap-servers: [g:2, H:1]}]",
                "'b' and 'a' both list H:1");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1], cloud: mars}]",
                "'cloud' must be one of AWS, GCP, AZURE, LOCAL, got 'mars'");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1], tls: {trusted: ca.pem}}]",
                "kafka-clusters 'a': upstream TLS: unknown key 'trusted'");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1], max-node-id: -1}]", "'max-node-id' must be");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: '${NOT_SET}'}]", "NOT_SET is not set");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1], cluster-keys-client: {acks: '1'}}]",
                "'cluster-keys-client' may set only security.protocol, sasl.* and ssl.*");
        assertKafkaClustersError("kafka-clusters: [{name: a, bootstrap-servers: [h:1], cluster-keys-client: [x]}]",
                "'cluster-keys-client' must be a mapping");
    }

    @Test
    void readsWebhooksWithTheirSecretFromTheEnvironmentAndTheGracePeriod() throws Exception {
        Path yaml = tmp.resolve("keyhold.yaml");
        Files.writeString(yaml, """
                kms-unavailable-grace: 90s
                notifications:
                  - url: https://hooks.example.com/keyhold
                    secret-env: HOOK_SECRET
                  - url: http://127.0.0.1:9000/only-locks
                    events: [lock, KMS_UNAVAILABLE]
                    secret-env: HOOK_SECRET
                """);
        ServerConfig c = ServerConfigLoader.load(Map.of(), Map.of("HOOK_SECRET", "0123456789abcdef-secret"), yaml).build();
        assertThat(c.kmsUnavailableGrace()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.notifications()).hasSize(2);
        Webhook all = c.notifications().get(0);
        assertThat(all.url()).hasToString("https://hooks.example.com/keyhold");
        assertThat(all.events()).containsExactlyInAnyOrder(io.keyhold.kms.audit.AuditEventType.CLUSTER_LOCKED,
                io.keyhold.kms.audit.AuditEventType.CLUSTER_UNLOCKED, io.keyhold.kms.audit.AuditEventType.KEY_ROTATED,
                io.keyhold.kms.audit.AuditEventType.KMS_UNAVAILABLE, io.keyhold.kms.audit.AuditEventType.KMS_AVAILABLE);
        assertThat(new String(all.secret(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("0123456789abcdef-secret");
        assertThat(all.toString()).doesNotContain("0123456789abcdef-secret");
        assertThat(c.notifications().get(1).events()).containsExactlyInAnyOrder(io.keyhold.kms.audit.AuditEventType.CLUSTER_LOCKED,
                io.keyhold.kms.audit.AuditEventType.KMS_UNAVAILABLE);
        ServerConfig defaults = ServerConfigLoader.load(Map.of(), Map.of(), null).build();
        assertThat(defaults.kmsUnavailableGrace()).isEqualTo(Duration.ofMinutes(10));
        assertThat(defaults.notifications()).isEmpty();
    }

    @Test
    void refusesWebhooksThatCouldNotBeSigned() throws Exception {
        assertKafkaClustersError("notifications: [{url: 'https://h/x'}]", "'secret-env' is required");
        assertKafkaClustersError("notifications: [{url: 'https://h/x', secret-env: NOT_SET}]", "NOT_SET (secret-env) must hold at least 16");
        assertKafkaClustersError("notifications: [{url: 'ftp://h/x', secret-env: S}]", "must be an http(s) URL");
        assertKafkaClustersError("notifications: [{url: 'https://u:p@h/x', secret-env: S}]", "must not carry credentials");
        assertKafkaClustersError("notifications: [{url: 'https://h/x', secret-env: S, event: [lock]}]", "unknown field 'event'");
        assertKafkaClustersError("notifications: [{url: 'https://h/x', secret-env: S, events: [locks]}]", "unknown event 'locks'");
        assertKafkaClustersError("kms-unavailable-grace: soon", "kms-unavailable-grace must be a duration");
    }

    private void assertKafkaClustersError(String yaml, String message) throws Exception {
        Path file = tmp.resolve("bad.yaml");
        Files.writeString(file, yaml + "\n");
        assertThatThrownBy(() -> ServerConfigLoader.load(Map.of(), Map.of(), file)).as(yaml)
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }
}
