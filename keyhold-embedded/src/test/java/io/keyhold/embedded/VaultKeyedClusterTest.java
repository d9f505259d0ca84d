package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.kms.vault.VaultKeyRef;
import io.keyhold.kms.vault.fake.FakeVault;
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
 * A Vault Transit key, end to end: {@code keyhold server} with the vault provider logging in with
 * AppRole to the wire-level Transit fake over HTTPS (settings from the environment, as a user gives
 * them), a cluster keyed by the Transit key, kcat through it, ciphertext only on disk; the cluster
 * locks when the operator disables the key for Keyhold (a policy that leaves it readable but not
 * usable) and resumes when the policy is restored; after a Vault rotation new records are under
 * version 2 and old ones still read.
 */
class VaultKeyedClusterTest {
    private static final String KEY = "VAULTE2EKEY";
    private static final String SECRET = "vault-e2e-test-secret-0123456789";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void aVaultKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheKeyIsDisabledResumesAndRotates() throws Exception {
        try (FakeVault vault = FakeVault.start()) {
            String keyRef = vault.createKey();
            VaultKeyRef ref = VaultKeyRef.parse(keyRef);
            var approle = vault.approleConfig();
            ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                    "bind", "127.0.0.1", "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms"),
                    Map.of("KEYHOLD_KMS_VAULT_ADDRESS", approle.require("address"), "KEYHOLD_KMS_VAULT_CA_FILE", approle.require("ca-file"),
                            "KEYHOLD_KMS_VAULT_AUTH", "approle", "KEYHOLD_KMS_VAULT_ROLE_ID_FILE", approle.require("role-id-file"),
                            "KEYHOLD_KMS_VAULT_SECRET_ID_FILE", approle.require("secret-id-file")), null);
            builder.kms(builder.build().kms());
            ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
            try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                    .printBootstrapSecret(false).build())) {
                String url = server.url();
                String env = server.bootstrapEnvironmentId();
                String byok = rest.send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"VaultKey\",\"mount_path\":\"" + ref.mount()
                        + "\",\"key_name\":\"" + ref.name() + "\"}}", 201).get("id").asText();
                RestClient.await(() -> validation(url, byok).equals("VALID"), "key " + byok + " VALID", Duration.ofSeconds(60));
                assertThat(vault.count("login")).as("Keyhold logged in with AppRole").isPositive();

                String cluster = rest.send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"vault-orders\",\"availability\":\"SINGLE_ZONE\","
                        + "\"cloud\":\"LOCAL\",\"region\":\"local\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\""
                        + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
                String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env;
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster " + cluster + " PROVISIONED", Duration.ofSeconds(90));
                String endpoint = rest.send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

                String canary = "vault-card-" + UUID.randomUUID();
                Kcat.produce(endpoint, "payments", List.of(canary + " #1", canary + " #2"));
                assertThat(Kcat.consume(endpoint, "payments", 2)).containsExactly(canary + " #1", canary + " #2");
                assertThat(vault.count("encrypt")).as("DEKs wrapped by Vault's encrypt").isPositive();
                Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
                assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();
                assertThat(StoredEnvelopes.recordKeks(logDir, cluster)).as("records under version 1 (the key wrapping each record's cluster key)")
                    .containsExactly(keyRef + "@1", keyRef + "@1");

                long disabledAt = System.nanoTime();
                vault.disable(keyRef);
                RestClient.await(() -> phase(url, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(10));
                System.out.println("Vault key disabled -> cluster LOCKED in " + Duration.ofNanos(System.nanoTime() - disabledAt).toMillis()
                        + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(Kcat.produceFails(endpoint, "payments", canary + " while locked")).isTrue();
                assertThat(Kcat.consume(endpoint, "payments", 1)).as("a locked cluster serves no records").isEmpty();

                vault.enable(keyRef);
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again", HEALTH_INTERVAL.multipliedBy(10));
                Kcat.produce(endpoint, "payments", List.of(canary + " #3"));
                assertThat(Kcat.consume(endpoint, "payments", 3)).containsExactly(canary + " #1", canary + " #2", canary + " #3");

                vault.rotate(keyRef);
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
    }


    private String validation(String url, String byok) throws Exception {
        return rest.send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation").path("phase").asText();
    }

    private String phase(String url, String clusterPath) throws Exception {
        return rest.send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }
}
