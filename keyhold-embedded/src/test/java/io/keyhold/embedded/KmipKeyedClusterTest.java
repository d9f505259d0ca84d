package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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

    @TempDir
    Path dataDir;
    @TempDir
    Path kmipDir;

    @Test
    void aKmipKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheObjectIsRevokedAndResumes() throws Exception {
        try (PyKmipServer kmip = PyKmipServer.start(kmipDir); PyKmipAdmin admin = new PyKmipAdmin(kmip, "hsm")) {
            String name = "orders-kek";
            admin.createObject(name);
            StringBuilder yaml = new StringBuilder("kms:\n  kmip:\n    hsm:\n");
            kmip.settings("hsm", PyKmipServer.KEYHOLD_USER).forEach((k, v) ->
                    yaml.append("      ").append(k.substring("hsm.".length())).append(": \"").append(v).append("\"\n"));
            Path config = Files.writeString(dataDir.resolve("keyhold.yaml"), yaml.toString());
            try (KeyedClusterScenario scenario = KeyedClusterScenario.start(KEY, SECRET, dataDir, Map.of(), Map.of(), config)) {
                JsonNode created = scenario.registerKey("{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"name\":\"" + name + "\"}");
                assertThat(created.path("provider").asText()).isEqualTo("KMIP");

                scenario.createCluster("kmip", "LOCAL", "local", created.get("id").asText());
                scenario.writeAndReadAll(2);
                scenario.assertNoPlaintext();

                // The customer rotates: a newer Active object of the name wraps from now on; old records still read.
                admin.rotate("hsm/name:" + name);
                scenario.writeAfterRotation();
                scenario.readsAll();

                // The customer revokes the objects on the KMIP server: within a few health intervals the cluster locks.
                scenario.lock("KMIP objects revoked", () -> {
                    for (String uid : admin.objects("hsm/name:" + name)) {
                        admin.client().revoke(uid, KmipEnums.RevocationReasonCode.CESSATION_OF_OPERATION);
                    }
                }, HEALTH_INTERVAL.multipliedBy(15));
                // Active again: the cluster resumes and every acknowledged record reads back.
                scenario.resume(() -> admin.enable("hsm/name:" + name), HEALTH_INTERVAL.multipliedBy(15));
                scenario.assertNoPlaintext();
            }
        }
    }
}
