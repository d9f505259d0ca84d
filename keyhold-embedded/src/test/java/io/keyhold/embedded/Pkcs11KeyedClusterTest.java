package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import java.nio.file.Path;
import java.util.Map;
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

    @TempDir
    Path dataDir;

    @Test
    void anHsmKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheKeyIsDisabledResumesAndRotates() throws Exception {
        SoftHsm hsm = SoftHsm.shared();
        String keyRef = hsm.createKey();
        String label = Pkcs11KeyRef.parse(keyRef).label();
        try (KeyedClusterScenario scenario = KeyedClusterScenario.start(KEY, SECRET, dataDir, Map.of(),
                Map.of("KEYHOLD_KMS_PKCS11_LIBRARY", SoftHsm.LIBRARY, "KEYHOLD_KMS_PKCS11_PIN_FILE", hsm.config().require("pin-file")), null)) {
            JsonNode created = scenario.registerKey("{\"kind\":\"Pkcs11Key\",\"token_label\":\"" + SoftHsm.TOKEN
                    + "\",\"key_label\":\"" + label + "\"}");

            scenario.createCluster("hsm", "LOCAL", "local", created.get("id").asText());
            scenario.writeAndReadAll(2);
            scenario.assertNoPlaintext();
            assertThat(scenario.recordKeks()).as("records under version 1 of the HSM key (the key wrapping each record's cluster key)")
                    .containsExactly(keyRef + "@1", keyRef + "@1");

            // The customer disables the key on the token (CKA_ENCRYPT and CKA_DECRYPT false): the cluster locks ...
            scenario.lock("PKCS#11 key disabled", () -> hsm.disable(keyRef), HEALTH_INTERVAL.multipliedBy(10));
            // ... and enables it again: the cluster resumes, every acknowledged record reads back.
            scenario.resume(() -> hsm.enable(keyRef), HEALTH_INTERVAL.multipliedBy(10));

            // The customer rotates (a new object <label>.v2 on the token): new records get a DEK under version 2.
            hsm.rotate(keyRef);
            scenario.writeAfterRotation();
            assertThat(scenario.recordKeks()).as("the record after the rotation, under version 2 (its cluster key's wrapping)")
                    .endsWith(keyRef + "@2").filteredOn(k -> k.equals(keyRef + "@2")).hasSize(1);
            scenario.readsAll();
            scenario.assertNoPlaintext();
        }
    }
}
