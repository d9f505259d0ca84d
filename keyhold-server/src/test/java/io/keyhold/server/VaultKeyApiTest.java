package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.vault.VaultKeyRef;
import io.keyhold.kms.vault.fake.FakeVault;
import io.keyhold.server.support.Api;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@code VaultKey} through the API with the real vault provider against the wire-level Transit fake. */
class VaultKeyApiTest extends ApiTestBase {
    private final FakeVault vault = FakeVault.start();

    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b;
    }

    @Override
    protected Map<String, String> kmsSettings() {
        Map<String, String> settings = super.kmsSettings();
        vault.tokenConfig().get("address").ifPresent(v -> settings.put("vault.address", v));
        vault.tokenConfig().get("ca-file").ifPresent(v -> settings.put("vault.ca-file", v));
        vault.tokenConfig().get("token-file").ifPresent(v -> settings.put("vault.token-file", v));
        return settings;
    }

    @AfterAll
    void stopVault() {
        vault.close();
    }

    @Test
    void aTransitKeyValidatesAndVaultsProblemsShowInWordsThatNameTheFix() {
        JsonNode valid = awaitValidation(create(vault.createKey()));
        assertThat(valid.path("validation").path("phase").asText()).as(valid.toString()).isEqualTo("VALID");
        assertThat(valid.path("provider").asText()).isEqualTo("Vault");
        assertThat(valid.path("key").path("mount_path").asText()).isEqualTo(FakeVault.MOUNT);
        assertKeySchema(valid);

        String deletable = vault.createKey();
        vault.deletionAllowed(deletable, true);
        JsonNode d = awaitValidation(create(deletable));
        assertThat(d.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(d.path("validation").path("message").asText()).contains("deletion_allowed=false");

        String denied = vault.createKey();
        vault.denyAccess(denied);
        assertThat(awaitValidation(create(denied)).path("validation").path("message").asText()).startsWith("Access to key denied.");
        assertThat(awaitValidation(create(vault.unknownKeyRef())).path("validation").path("message").asText())
                .containsIgnoringCase("not found");
    }

    @Test
    void badPathsAreRefusedWithAPointer() {
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"VaultKey\",\"mount_path\":\"transit\"}}"), 422, null);
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"VaultKey\",\"mount_path\":\"../x\",\"key_name\":\"k\"}}"), 422, null);
        assertError(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"VaultKey\",\"mount_path\":\"transit\",\"key_name\":\"a/b\"}}"), 422, null);
    }

    private String create(String keyRef) {
        VaultKeyRef ref = VaultKeyRef.parse(keyRef);
        Api.Res r = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"VaultKey\",\"mount_path\":\"" + ref.mount() + "\",\"key_name\":\""
                + ref.name() + "\"}}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.body().path("id").asText();
    }
}
