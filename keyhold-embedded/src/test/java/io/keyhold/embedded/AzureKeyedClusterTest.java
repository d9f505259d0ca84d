package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.azure.fake.FakeAzure;
import io.keyhold.kms.azure.fake.FakeKeyVault;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bring your own Azure Key Vault key, end to end: {@code keyhold server} with the real Azure SDK
 * (keyvault-keys, azure-identity's client-secret credential) talking HTTPS to wire-level fakes of Key
 * Vault and Entra ID's token endpoint on 127.0.0.1 (test CA given as the {@code trust-store} setting;
 * see docs/kms/azure.md for what the fakes model), a cluster in Azure keyed by a customer's RSA key,
 * kcat producing and consuming through it, nothing but ciphertext on the broker's disk, a new key
 * version serving new data keys, the cluster locking when the customer disables the key and resuming
 * with every record, old and new versions', when they enable it again.
 */
class AzureKeyedClusterTest {
    private static final String KEY = "AZUREE2EKEY";
    private static final String SECRET = "azure-e2e-test-secret-0123456789";
    private static final String VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
            + "Microsoft.KeyVault/vaults/keyhold-e2e";

    @TempDir
    Path dataDir;
    @TempDir
    Path fakeDir;

    @Test
    void anAzureKeyedClusterServesKcatStoresOnlyCiphertextUsesNewVersionsLocksWhenTheKeyIsDisabledAndResumes() throws Exception {
        try (FakeAzure azure = FakeAzure.keyVault(fakeDir, "keyhold-e2e")) {
            azure.installCredentials();
            FakeKeyVault vault = azure.vault();
            String keyUrl = vault.createKey();
            String v1 = vault.currentVersion(keyUrl);
            try (KeyedClusterScenario scenario = KeyedClusterScenario.start(KEY, SECRET, dataDir,
                    Map.of("azure-application-id", FakeAzure.CLIENT_ID),
                    Map.of("KEYHOLD_KMS_AZURE_ENDPOINT", vault.endpoint().toString(), "KEYHOLD_KMS_AZURE_TRUST_STORE", azure.caPem().toString()),
                    null)) {
                // registered with a version, as the portal shows key URLs: stored without it
                JsonNode created = scenario.registerKey("{\"kind\":\"AzureKey\",\"key_id\":\"" + keyUrl + "/" + v1
                        + "\",\"key_vault_id\":\"" + VAULT_ID + "\",\"tenant_id\":\"" + FakeAzure.TENANT + "\"}");
                assertThat(created.path("key").path("key_id").asText()).isEqualTo(keyUrl);
                assertThat(created.path("key").path("application_id").asText()).isEqualTo(FakeAzure.CLIENT_ID);
                String byok = created.get("id").asText();
                JsonNode validation = scenario.validation(byok);
                assertThat(validation.path("message").asText()).contains("region was not checked");
                assertThat(validation.has("region")).as("no region recorded").isFalse();

                // Key Vault does not say where the key lives: a cluster in any Azure region may use it
                scenario.createCluster("azure", "AZURE", "westeurope", byok);
                scenario.writeAndReadAll(2);
                assertThat(vault.count("/" + v1 + "/wrapkey", 200)).as("data keys wrapped by Key Vault under v1").isPositive();
                scenario.assertNoPlaintext();

                // Azure rotates the key: within a health interval new data keys are wrapped under the new version.
                vault.rotate(keyUrl);
                String v2 = vault.currentVersion(keyUrl);
                Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis());
                Kcat.produce(scenario.endpoint(), "refunds", List.of(scenario.canary() + " refund"));
                assertThat(vault.count("/" + v2 + "/wrapkey", 200)).as("a new topic's data key wrapped under v2").isPositive();

                // The customer disables the key (its current version): the cluster locks, its data keys are dropped ...
                scenario.lock("Azure key disabled", () -> vault.disable(keyUrl), HEALTH_INTERVAL.multipliedBy(10));
                // ... and enables it: the cluster resumes; records of both versions read back, unwrapped by Key Vault again.
                long v1UnwrapsBefore = vault.count("/" + v1 + "/unwrapkey", 200);
                scenario.resume(() -> vault.enable(keyUrl), HEALTH_INTERVAL.multipliedBy(10));
                assertThat(Kcat.consume(scenario.endpoint(), "refunds", 1)).containsExactly(scenario.canary() + " refund");
                assertThat(vault.count("/" + v1 + "/unwrapkey", 200)).as("v1's data key unwrapped after the lock").isGreaterThan(v1UnwrapsBefore);
                scenario.assertNoPlaintext();
            }
        }
    }
}
