package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.kms.vault.VaultKeyRef;
import io.keyhold.kms.vault.fake.FakeVault;
import java.nio.file.Path;
import java.util.Map;
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

    @TempDir
    Path dataDir;

    @Test
    void aVaultKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheKeyIsDisabledResumesAndRotates() throws Exception {
        try (FakeVault vault = FakeVault.start()) {
            String keyRef = vault.createKey();
            VaultKeyRef ref = VaultKeyRef.parse(keyRef);
            var approle = vault.approleConfig();
            try (KeyedClusterScenario scenario = KeyedClusterScenario.start(KEY, SECRET, dataDir, Map.of(),
                    Map.of("KEYHOLD_KMS_VAULT_ADDRESS", approle.require("address"), "KEYHOLD_KMS_VAULT_CA_FILE", approle.require("ca-file"),
                            "KEYHOLD_KMS_VAULT_AUTH", "approle", "KEYHOLD_KMS_VAULT_ROLE_ID_FILE", approle.require("role-id-file"),
                            "KEYHOLD_KMS_VAULT_SECRET_ID_FILE", approle.require("secret-id-file")), null)) {
                String byok = scenario.registerKey("{\"kind\":\"VaultKey\",\"mount_path\":\"" + ref.mount()
                        + "\",\"key_name\":\"" + ref.name() + "\"}").get("id").asText();
                assertThat(vault.count("login")).as("Keyhold logged in with AppRole").isPositive();

                scenario.createCluster("vault", "LOCAL", "local", byok);
                scenario.writeAndReadAll(2);
                assertThat(vault.count("encrypt")).as("DEKs wrapped by Vault's encrypt").isPositive();
                scenario.assertNoPlaintext();
                assertThat(scenario.recordKeks()).as("records under version 1 (the key wrapping each record's cluster key)")
                        .containsExactly(keyRef + "@1", keyRef + "@1");

                // The operator disables the key for Keyhold (a policy that leaves it readable, not usable) ...
                scenario.lock("Vault key disabled", () -> vault.disable(keyRef), HEALTH_INTERVAL.multipliedBy(10));
                // ... and restores the policy: the cluster resumes, every acknowledged record reads back.
                scenario.resume(() -> vault.enable(keyRef), HEALTH_INTERVAL.multipliedBy(10));

                vault.rotate(keyRef);
                scenario.writeAfterRotation();
                assertThat(scenario.recordKeks()).as("the record after the rotation, under version 2 (its cluster key's wrapping)")
                        .endsWith(keyRef + "@2").filteredOn(k -> k.equals(keyRef + "@2")).hasSize(1);
                scenario.readsAll();
                scenario.assertNoPlaintext();
            }
        }
    }
}
