package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import io.keyhold.server.support.Api;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * KmipKey in {@code /byok/v1/keys} with the real kmip provider against a real pykmip-server: the
 * validator's verdicts come from the KMIP server, through the provider's key problems and a round trip.
 */
class KmipKeyApiTest extends ApiTestBase {
    private PyKmipServer kmip;
    private PyKmipAdmin kmipAdmin;

    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) throws Exception {
        kmip = PyKmipServer.start(Files.createTempDirectory("keyhold-kmip-api-test"));
        kmipAdmin = new PyKmipAdmin(kmip, "hsm");
        Map<String, String> kms = new HashMap<>();
        kmip.settings("hsm", PyKmipServer.KEYHOLD_USER).forEach((k, v) -> kms.put("kmip." + k, v));
        return b.kmsSettings(kms);
    }

    @AfterAll
    void stopKmip() {
        if (kmipAdmin != null) {
            kmipAdmin.close();
        }
        if (kmip != null) {
            kmip.close();
        }
    }

    @Test
    void anActiveAes256ObjectValidatesByIdentifierAndByName() {
        String uid = kmipAdmin.createObject(null);
        JsonNode byId = awaitValidation(created("{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"key_id\":\"" + uid + "\"}"));
        assertThat(byId.path("validation").path("phase").asText()).as(byId.toString()).isEqualTo("VALID");
        assertThat(byId.path("provider").asText()).isEqualTo("KMIP");
        assertThat(byId.path("key").path("key_id").asText()).isEqualTo(uid);
        assertKeySchema(byId);

        String name = unique("orders");
        kmipAdmin.createObject(name);
        JsonNode byName = awaitValidation(created("{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"name\":\"" + name + "\"}"));
        assertThat(byName.path("validation").path("phase").asText()).as(byName.toString()).isEqualTo("VALID");
        assertThat(byName.path("key").path("name").asText()).isEqualTo(name);
        assertKeySchema(byName);
        assertThat(admin.get("/byok/v1/keys?provider=KMIP").body().path("data")).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void anObjectThatCannotServeIsInvalidWithTheFix() {
        String preActive = kmipAdmin.client().create(null, KmipEnums.UsageMask.ENCRYPT | KmipEnums.UsageMask.DECRYPT);
        JsonNode k = awaitValidation(created("{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"key_id\":\"" + preActive + "\"}"));
        assertThat(k.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(k.path("validation").path("message").asText()).contains("Pre-Active").contains("activate it");

        String revoked = kmipAdmin.createObject(null);
        kmipAdmin.client().revoke(revoked, KmipEnums.RevocationReasonCode.CESSATION_OF_OPERATION);
        JsonNode r = awaitValidation(created("{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"key_id\":\"" + revoked + "\"}"));
        assertThat(r.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(r.path("validation").path("message").asText()).contains("Deactivated");

        JsonNode missing = awaitValidation(created("{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"name\":\"" + unique("none") + "\"}"));
        assertThat(missing.path("validation").path("phase").asText()).isEqualTo("INVALID");
    }

    @Test
    void aKeyOfAnUnconfiguredServerOrWithBothFormsIsRefused() {
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"other\",\"key_id\":\"1\"}}"), 422, null);
        assertThat(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"other\",\"key_id\":\"1\"}}").raw().body())
                .contains("kms.kmip.other.address");
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"key_id\":\"1\",\"name\":\"a\"}}"), 422, null);
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"hsm\"}}"), 422, null);
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"hsm\",\"key_id\":\"name:x\"}}"), 422, null);
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"KmipKey\",\"server\":\"HSM\",\"key_id\":\"1\"}}"), 422, null);
    }

    private String created(String key) {
        Api.Res r = admin.post("/byok/v1/keys", "{\"key\":" + key + ",\"display_name\":\"" + unique("kmip") + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.body().get("id").asText();
    }
}
