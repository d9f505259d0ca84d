package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import io.keyhold.server.support.Api;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code Pkcs11Key} through the API with the real pkcs11 provider, against a SoftHSM2 token: the
 * validator's outcomes are the HSM's, not a stand-in's.
 */
class Pkcs11KeyApiTest extends ApiTestBase {
    private final SoftHsm hsm = SoftHsm.shared();

    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b;
    }

    @Override
    protected Map<String, String> kmsSettings() {
        Map<String, String> settings = super.kmsSettings();
        hsm.config().get("library").ifPresent(v -> settings.put("pkcs11.library", v));
        hsm.config().get("pin-file").ifPresent(v -> settings.put("pkcs11.pin-file", v));
        return settings;
    }

    @Test
    void aKeyOnTheTokenValidatesAndEveryProblemOfTheHsmShowsInWordsThatNameTheFix() {
        String good = create(label(hsm.createKey()));
        JsonNode valid = awaitValidation(good);
        assertThat(valid.path("validation").path("phase").asText()).as(valid.toString()).isEqualTo("VALID");
        assertThat(valid.path("provider").asText()).isEqualTo("PKCS11");
        assertThat(valid.path("key").path("token_label").asText()).isEqualTo(SoftHsm.TOKEN);
        assertKeySchema(valid);

        String disabledRef = hsm.createKey();
        hsm.disable(disabledRef);
        JsonNode disabled = awaitValidation(create(label(disabledRef)));
        assertThat(disabled.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(disabled.path("validation").path("message").asText()).contains("disabled").contains("CKA_ENCRYPT");

        JsonNode extractable = awaitValidation(create(label(hsm.createExtractableWrappingKey())));
        assertThat(extractable.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(extractable.path("validation").path("message").asText()).contains("CKA_EXTRACTABLE=false");

        JsonNode missing = awaitValidation(create("no-such-key"));
        assertThat(missing.path("validation").path("message").asText()).containsIgnoringCase("not found");

        String noToken = admin.post("/byok/v1/keys", body("no-such-token", "orders")).body().path("id").asText();
        assertThat(awaitValidation(noToken).path("validation").path("message").asText()).containsIgnoringCase("not found");
    }

    @Test
    void badLabelsAreRefusedWithAPointerAndOneKeyBacksOneKeyObject() {
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"Pkcs11Key\",\"token_label\":\"t\"}}"), 422, null);
        assertError(admin.post("/byok/v1/keys", body("t", "orders.v2")), 422, null);
        assertError(admin.post("/byok/v1/keys", body("x".repeat(33), "orders")), 422, null);
        String label = label(hsm.createKey());
        create(label);
        assertThat(admin.post("/byok/v1/keys", body(SoftHsm.TOKEN, label)).status()).isEqualTo(409);
    }

    private String create(String keyLabel) {
        Api.Res r = admin.post("/byok/v1/keys", body(SoftHsm.TOKEN, keyLabel));
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.body().path("id").asText();
    }

    private static String label(String ref) {
        return Pkcs11KeyRef.parse(ref).label();
    }

    private static String body(String token, String label) {
        return "{\"key\":{\"kind\":\"Pkcs11Key\",\"token_label\":\"" + token + "\",\"key_label\":\"" + label + "\"}}";
    }
}
