package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import io.keyhold.kms.gcp.fake.FakeGcpKms;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bring your own Cloud KMS key, end to end: {@code keyhold server} with the official Cloud KMS
 * client talking gRPC over TLS to the provider's fake of KeyManagementService on 127.0.0.1 (test
 * CA, service-account JWTs checked, versions and the primary, AAD binding, CRC32C; see
 * docs/kms/gcp.md), configured as an operator would through {@code KEYHOLD_KMS_GCP_*}; a cluster in
 * GCP us-central1 keyed by a customer's key; kcat producing and consuming through it; nothing but
 * ciphertext on the broker's disk; a new primary version picked up by the next health check; the
 * cluster locking when the customer disables the primary version and resuming, every record
 * intact, when they enable it again. Keys the validator must refuse are refused with the fix named.
 */
class GcpKeyedClusterTest {
    private static final String KEY = "GCPE2EKEY";
    private static final String SECRET = "gcp-e2e-test-secret-0123456789";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void aGoogleKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenThePrimaryVersionIsDisabledAndResumes() throws Exception {
        try (FakeGcpKms gcp = FakeGcpKms.start("us-central1")) {
            String keyName = gcp.createKey();
            Map<String, String> env = new HashMap<>();
            gcp.settings().forEach((k, v) -> env.put("KEYHOLD_KMS_GCP_" + k.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), v));
            ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                    "bind", "127.0.0.1", "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms",
                    "gcp-security-group", "keyhold-kms@acme.example"), env, null);
            builder.kms(builder.build().kms());
            ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
            try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                    .printBootstrapSecret(false).build())) {
                String url = server.url();
                String env0 = server.bootstrapEnvironmentId();

                // keys that cannot serve are refused, the fix named
                String signing = gcp.createKey(CryptoKeyPurpose.ASYMMETRIC_SIGN, CryptoKeyVersionAlgorithm.EC_SIGN_P256_SHA256, true);
                assertThat(invalidMessage(url, signing)).contains("purpose is ASYMMETRIC_SIGN").contains("ENCRYPT_DECRYPT");
                assertThat(invalidMessage(url, gcp.createKeyIn("global"))).contains("Keyhold needs a key ring in the cluster's region");

                JsonNode created = rest.send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"GcpKey\",\"key_id\":\"" + keyName + "\"}}", 201);
                assertThat(created.path("key").path("security_group").asText()).isEqualTo("keyhold-kms@acme.example");
                String byok = created.get("id").asText();
                RestClient.await(() -> validation(url, byok).path("phase").asText().equals("VALID"), "key " + byok + " VALID", Duration.ofSeconds(60));
                assertThat(validation(url, byok).path("region").asText()).isEqualTo("us-central1");
                assertThat(gcp.count("GetCryptoKey")).as("the validator described the key at Cloud KMS").isPositive();
                assertThat(gcp.requests()).as("every call authenticated as the service account of credentials-file")
                        .allSatisfy(r -> assertThat(r.principal()).isEqualTo(FakeGcpKms.keyhold().email()));

                String cluster = rest.send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"gcp-orders\",\"availability\":\"SINGLE_ZONE\","
                        + "\"cloud\":\"GCP\",\"region\":\"us-central1\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\""
                        + env0 + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
                String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env0;
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster " + cluster + " PROVISIONED", Duration.ofSeconds(90));
                String endpoint = rest.send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

                String canary = "gcp-card-" + UUID.randomUUID();
                Kcat.produce(endpoint, "payments", List.of(canary + " #1", canary + " #2"));
                assertThat(Kcat.consume(endpoint, "payments", 2)).containsExactly(canary + " #1", canary + " #2");
                assertThat(gcp.count("Encrypt")).as("data keys wrapped by Cloud KMS").isPositive();
                Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
                assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();

                // Google rotates the key: the next health check's Encrypt already uses the new primary version
                long rotatedAt = System.nanoTime();
                gcp.rotate(keyName);
                RestClient.await(() -> gcp.requests().stream().anyMatch(r -> r.method().equals("Encrypt") && r.version().equals("2")),
                        "an Encrypt under version 2", HEALTH_INTERVAL.multipliedBy(5));
                Duration toPickedUp = Duration.ofNanos(System.nanoTime() - rotatedAt);
                System.out.println("Cloud KMS primary version 2 -> first Encrypt under it after " + toPickedUp.toMillis()
                        + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(toPickedUp).as("picked up within a health interval (and scheduling slack)").isLessThan(HEALTH_INTERVAL.plusSeconds(2));
                Kcat.produce(endpoint, "payments", List.of(canary + " #3"));

                // The customer disables the primary version: within a few health intervals the cluster locks.
                long disabledAt = System.nanoTime();
                gcp.disable(keyName);
                RestClient.await(() -> phase(url, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(10));
                Duration toLocked = Duration.ofNanos(System.nanoTime() - disabledAt);
                System.out.println("Cloud KMS primary version disabled -> cluster LOCKED in " + toLocked.toMillis() + " ms (health interval "
                        + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(3));
                assertThat(validation(url, byok).path("message").asText()).contains("disabled");
                assertThat(Kcat.produceFails(endpoint, "payments", canary + " while locked")).isTrue();
                assertThat(Kcat.consume(endpoint, "payments", 1)).as("a locked cluster serves no records").isEmpty();

                // ... and enables it again: the cluster resumes; every acknowledged record reads back.
                gcp.enable(keyName);
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again", HEALTH_INTERVAL.multipliedBy(10));
                Kcat.produce(endpoint, "payments", List.of(canary + " #4"));
                assertThat(Kcat.consume(endpoint, "payments", 4)).containsExactly(canary + " #1", canary + " #2", canary + " #3", canary + " #4");
                assertThat(OnDisk.plaintext(logDir, canary)).isEmpty();
                assertThat(gcp.requests()).filteredOn(r -> r.method().equals("Encrypt") || r.method().equals("Decrypt"))
                        .as("CRC32C on every data-path call").allSatisfy(r -> assertThat(r.checksummed()).isTrue());
            } finally {
                ((AutoCloseable) runtime).close();
            }
        }
    }

    /** Registers {@code keyName} and returns the validator's message once it is INVALID. */
    private String invalidMessage(String url, String keyName) throws Exception {
        String id = rest.send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"GcpKey\",\"key_id\":\"" + keyName + "\"}}", 201).get("id").asText();
        RestClient.await(() -> validation(url, id).path("phase").asText().equals("INVALID"), "key " + id + " INVALID", Duration.ofSeconds(60));
        String message = validation(url, id).path("message").asText();
        rest.send(url, "DELETE", "/byok/v1/keys/" + id, null, 204);
        return message;
    }

    private JsonNode validation(String url, String byok) throws Exception {
        return rest.send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation");
    }

    private String phase(String url, String clusterPath) throws Exception {
        return rest.send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }
}
