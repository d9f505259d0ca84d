package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import io.keyhold.kms.gcp.fake.FakeGcpKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
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

    @TempDir
    Path dataDir;

    @Test
    void aGoogleKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenThePrimaryVersionIsDisabledAndResumes() throws Exception {
        try (FakeGcpKms gcp = FakeGcpKms.start("us-central1")) {
            String keyName = gcp.createKey();
            Map<String, String> env = new HashMap<>();
            gcp.settings().forEach((k, v) -> env.put("KEYHOLD_KMS_GCP_" + k.toUpperCase(Locale.ROOT).replace('-', '_'), v));
            try (KeyedClusterScenario scenario = KeyedClusterScenario.start(KEY, SECRET, dataDir,
                    Map.of("gcp-security-group", "keyhold-kms@acme.example"), env, null)) {
                // keys that cannot serve are refused, the fix named
                String signing = gcp.createKey(CryptoKeyPurpose.ASYMMETRIC_SIGN, CryptoKeyVersionAlgorithm.EC_SIGN_P256_SHA256, true);
                assertThat(invalidMessage(scenario, signing)).contains("purpose is ASYMMETRIC_SIGN").contains("ENCRYPT_DECRYPT");
                assertThat(invalidMessage(scenario, gcp.createKeyIn("global"))).contains("Keyhold needs a key ring in the cluster's region");

                JsonNode created = scenario.registerKey("{\"kind\":\"GcpKey\",\"key_id\":\"" + keyName + "\"}");
                assertThat(created.path("key").path("security_group").asText()).isEqualTo("keyhold-kms@acme.example");
                String byok = created.get("id").asText();
                assertThat(scenario.validation(byok).path("region").asText()).isEqualTo("us-central1");
                assertThat(gcp.count("GetCryptoKey")).as("the validator described the key at Cloud KMS").isPositive();
                assertThat(gcp.requests()).as("every call authenticated as the service account of credentials-file")
                        .allSatisfy(r -> assertThat(r.principal()).isEqualTo(FakeGcpKms.keyhold().email()));

                scenario.createCluster("gcp", "GCP", "us-central1", byok);
                scenario.writeAndReadAll(2);
                assertThat(gcp.count("Encrypt")).as("data keys wrapped by Cloud KMS").isPositive();
                scenario.assertNoPlaintext();

                // Google rotates the key: the next health check's Encrypt already uses the new primary version
                long rotatedAt = System.nanoTime();
                gcp.rotate(keyName);
                RestClient.await(() -> gcp.requests().stream().anyMatch(r -> r.method().equals("Encrypt") && r.version().equals("2")),
                        "an Encrypt under version 2", HEALTH_INTERVAL.multipliedBy(5));
                Duration toPickedUp = Duration.ofNanos(System.nanoTime() - rotatedAt);
                System.out.println("Cloud KMS primary version 2 -> first Encrypt under it after " + toPickedUp.toMillis()
                        + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(toPickedUp).as("picked up within a health interval (and scheduling slack)").isLessThan(HEALTH_INTERVAL.plusSeconds(2));
                scenario.write(1);

                // The customer disables the primary version: within a few health intervals the cluster locks ...
                Duration toLocked = scenario.lock("Cloud KMS primary version disabled", () -> gcp.disable(keyName),
                        HEALTH_INTERVAL.multipliedBy(10));
                assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(3));
                assertThat(scenario.validation(byok).path("message").asText()).contains("disabled");
                // ... and enables it again: the cluster resumes; every acknowledged record reads back.
                scenario.resume(() -> gcp.enable(keyName), HEALTH_INTERVAL.multipliedBy(10));
                scenario.assertNoPlaintext();
                assertThat(gcp.requests()).filteredOn(r -> r.method().equals("Encrypt") || r.method().equals("Decrypt"))
                        .as("CRC32C on every data-path call").allSatisfy(r -> assertThat(r.checksummed()).isTrue());
            }
        }
    }

    /** Registers {@code keyName} and returns the validator's message once it is INVALID. */
    private static String invalidMessage(KeyedClusterScenario scenario, String keyName) throws Exception {
        RestClient rest = scenario.rest();
        String id = rest.send(scenario.url(), "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"GcpKey\",\"key_id\":\"" + keyName + "\"}}", 201)
                .get("id").asText();
        RestClient.await(() -> scenario.validation(id).path("phase").asText().equals("INVALID"), "key " + id + " INVALID",
                Duration.ofSeconds(60));
        String message = scenario.validation(id).path("message").asText();
        rest.send(scenario.url(), "DELETE", "/byok/v1/keys/" + id, null, 204);
        return message;
    }
}
