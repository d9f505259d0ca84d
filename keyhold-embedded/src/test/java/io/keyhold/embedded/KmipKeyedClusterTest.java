package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bring your own KMIP key, end to end: {@code keyhold server} configured by a YAML file with one KMIP
 * server (a real pykmip-server on 127.0.0.1, mutual TLS with certificates the test made), a cluster
 * keyed by a KMIP name reference, kcat producing and consuming through it, nothing but ciphertext on
 * the broker's disk; the customer rotates (a newer object of the name) and every record still
 * reads; the customer revokes the objects on the KMIP server and the cluster locks; the objects made
 * Active again (pykmip-server's own database: KMIP has no way back from a revocation) and it resumes.
 */
class KmipKeyedClusterTest {
    private static final String KEY = "KMIPE2EKEY";
    private static final String SECRET = "kmip-e2e-test-secret-0123456789";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path dataDir;
    @TempDir
    Path kmipDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void aKmipKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheObjectIsRevokedAndResumes() throws Exception {
        try (PyKmipServer kmip = PyKmipServer.start(kmipDir); PyKmipAdmin admin = new PyKmipAdmin(kmip, "hsm")) {
            String name = "orders-kek";
            admin.createObject(name);
            StringBuilder yaml = new StringBuilder("kms:\n  kmip:\n    hsm:\n");
            kmip.settings("hsm", PyKmipServer.KEYHOLD_USER).forEach((k, v) ->
                    yaml.append("      ").append(k.substring("hsm.".length())).append(": \"").append(v).append("\"\n"));
            Path config = Files.writeString(dataDir.resolve("keyhold.yaml"), yaml.toString());
            ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                    "bind", "127.0.0.1", "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms"), Map.of(), config);
            builder.kms(builder.build().kms());
            ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
            try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                    .printBootstrapSecret(false).build())) {
                String url = server.url();
                String env = server.bootstrapEnvironmentId();
                JsonNode created = rest.send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"name\":\""
                        + name + "\"}}", 201);
                assertThat(created.path("provider").asText()).isEqualTo("KMIP");
                String byok = created.get("id").asText();
                RestClient.await(() -> validation(url, byok).equals("VALID"), "key " + byok + " VALID", Duration.ofSeconds(60));

                String cluster = rest.send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"kmip-orders\",\"availability\":"
                        + "\"SINGLE_ZONE\",\"cloud\":\"LOCAL\",\"region\":\"local\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},"
                        + "\"environment\":{\"id\":\"" + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
                String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env;
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster " + cluster + " PROVISIONED", Duration.ofSeconds(90));
                String endpoint = rest.send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

                String canary = "kmip-card-" + UUID.randomUUID();
                Kcat.produce(endpoint, "payments", List.of(canary + " #1", canary + " #2"));
                assertThat(Kcat.consume(endpoint, "payments", 2)).containsExactly(canary + " #1", canary + " #2");
                Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
                assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();

                // The customer rotates: a newer Active object of the name wraps from now on; old records still read.
                admin.rotate("hsm/name:" + name);
                Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis());
                Kcat.produce(endpoint, "payments", List.of(canary + " #3"));
                assertThat(Kcat.consume(endpoint, "payments", 3)).containsExactly(canary + " #1", canary + " #2", canary + " #3");

                // The customer revokes the objects on the KMIP server: within a few health intervals the cluster locks.
                long revokedAt = System.nanoTime();
                for (String uid : admin.objects("hsm/name:" + name)) {
                    admin.client().revoke(uid, KmipEnums.RevocationReasonCode.CESSATION_OF_OPERATION);
                }
                RestClient.await(() -> phase(url, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(15));
                Duration toLocked = Duration.ofNanos(System.nanoTime() - revokedAt);
                System.out.println("KMIP objects revoked -> cluster LOCKED in " + toLocked.toMillis() + " ms (health interval "
                        + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(Kcat.produceFails(endpoint, "payments", canary + " while locked")).isTrue();
                assertThat(Kcat.consume(endpoint, "payments", 1)).as("a locked cluster serves no records").isEmpty();

                // Active again: the cluster resumes and every acknowledged record reads back.
                admin.enable("hsm/name:" + name);
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again", HEALTH_INTERVAL.multipliedBy(15));
                Kcat.produce(endpoint, "payments", List.of(canary + " #4"));
                assertThat(Kcat.consume(endpoint, "payments", 4))
                        .containsExactly(canary + " #1", canary + " #2", canary + " #3", canary + " #4");
                assertThat(OnDisk.plaintext(logDir, canary)).isEmpty();
            } finally {
                ((AutoCloseable) runtime).close();
            }
        }
    }

    private String validation(String url, String byok) throws Exception {
        return rest.send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation").path("phase").asText();
    }

    private String phase(String url, String clusterPath) throws Exception {
        return rest.send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }
}
