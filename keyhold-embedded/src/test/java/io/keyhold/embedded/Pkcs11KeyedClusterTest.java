package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key on a PKCS#11 HSM, end to end: {@code keyhold server} with the pkcs11 provider logged in to
 * a real SoftHSM2 token (settings from the environment, as a user gives them), a cluster keyed by
 * an AES-256 key that never leaves the token, kcat producing and consuming through it, nothing but
 * ciphertext on the broker's disk; the cluster locks when the customer disables the key on the
 * token (CKA_ENCRYPT and CKA_DECRYPT false) and resumes when they enable it again; after a
 * rotation (a new key object {@code <label>.v2}) new records are under version 2 and old ones read.
 */
class Pkcs11KeyedClusterTest {
    private static final String KEY = "PKCS11E2EKEY";
    private static final String SECRET = "pkcs11-e2e-test-secret-0123456789";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void anHsmKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheKeyIsDisabledResumesAndRotates() throws Exception {
        SoftHsm hsm = SoftHsm.shared();
        String keyRef = hsm.createKey();
        String label = Pkcs11KeyRef.parse(keyRef).label();
        ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                "bind", "127.0.0.1", "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms"),
                Map.of("KEYHOLD_KMS_PKCS11_LIBRARY", SoftHsm.LIBRARY, "KEYHOLD_KMS_PKCS11_PIN_FILE", hsm.config().require("pin-file")), null);
        builder.kms(builder.build().kms());
        ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
        try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                .printBootstrapSecret(false).build())) {
            String url = server.url();
            String env = server.bootstrapEnvironmentId();
            JsonNode created = rest.send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"Pkcs11Key\",\"token_label\":\""
                    + SoftHsm.TOKEN + "\",\"key_label\":\"" + label + "\"}}", 201);
            String byok = created.get("id").asText();
            RestClient.await(() -> validation(url, byok).equals("VALID"), "key " + byok + " VALID", Duration.ofSeconds(60));

            String cluster = rest.send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"hsm-orders\",\"availability\":\"SINGLE_ZONE\","
                    + "\"cloud\":\"LOCAL\",\"region\":\"local\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\""
                    + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
            String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env;
            RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster " + cluster + " PROVISIONED", Duration.ofSeconds(90));
            String endpoint = rest.send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

            String canary = "hsm-card-" + UUID.randomUUID();
            Kcat.produce(endpoint, "payments", List.of(canary + " #1", canary + " #2"));
            assertThat(Kcat.consume(endpoint, "payments", 2)).containsExactly(canary + " #1", canary + " #2");
            Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
            assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();
            assertThat(StoredEnvelopes.recordKeks(logDir, cluster)).as("records under version 1 of the HSM key (the key wrapping each record's cluster key)")
                    .containsExactly(keyRef + "@1", keyRef + "@1");

            // The customer disables the key on the token: within a few health intervals the cluster locks.
            long disabledAt = System.nanoTime();
            hsm.disable(keyRef);
            RestClient.await(() -> phase(url, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(10));
            System.out.println("PKCS#11 key disabled -> cluster LOCKED in " + Duration.ofNanos(System.nanoTime() - disabledAt).toMillis()
                    + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
            assertThat(Kcat.produceFails(endpoint, "payments", canary + " while locked")).isTrue();
            assertThat(Kcat.consume(endpoint, "payments", 1)).as("a locked cluster serves no records").isEmpty();

            // ... and enables it again: the cluster resumes, every acknowledged record reads back.
            hsm.enable(keyRef);
            RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again", HEALTH_INTERVAL.multipliedBy(10));
            Kcat.produce(endpoint, "payments", List.of(canary + " #3"));
            assertThat(Kcat.consume(endpoint, "payments", 3)).containsExactly(canary + " #1", canary + " #2", canary + " #3");

            // The customer rotates (a new object <label>.v2 on the token): new records get a DEK under version 2.
            hsm.rotate(keyRef);
            Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis());
            Kcat.produce(endpoint, "payments", List.of(canary + " #4"));
            assertThat(StoredEnvelopes.recordKeks(logDir, cluster)).as("the record after the rotation, under version 2 (its cluster key's wrapping)")
                    .endsWith(keyRef + "@2").filteredOn(k -> k.equals(keyRef + "@2")).hasSize(1);
            assertThat(Kcat.consume(endpoint, "payments", 4))
                    .containsExactly(canary + " #1", canary + " #2", canary + " #3", canary + " #4");
            assertThat(OnDisk.plaintext(logDir, canary)).isEmpty();
        } finally {
            ((AutoCloseable) runtime).close();
        }
    }


    private String validation(String url, String byok) throws Exception {
        return rest.send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation").path("phase").asText();
    }

    private String phase(String url, String clusterPath) throws Exception {
        return rest.send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }
}
