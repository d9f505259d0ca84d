package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.azure.fake.FakeAzure;
import io.keyhold.kms.azure.fake.FakeKeyVault;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code POST /byok/v1/keys} says of Azure keys a customer got wrong, validated by the server
 * through the real provider against the Key Vault fake: each message names the fix.
 */
class AzureKeyValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "AZUREVALKEY";
    private static final String SECRET = "azure-validation-secret-0123456789";
    private static final String VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
            + "Microsoft.KeyVault/vaults/keyhold-validation";

    @TempDir
    Path dataDir;
    @TempDir
    Path fakeDir;
    private final HttpClient http = HttpClient.newHttpClient();
    private FakeAzure azure;
    private KeyholdServer server;

    @BeforeEach
    void start() {
        azure = FakeAzure.keyVault(fakeDir, "keyhold-validation");
        azure.installCredentials();
        ServerConfig.Builder b = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0", "bind", "127.0.0.1",
                "validation-interval", "100ms"), Map.of("KEYHOLD_KMS_AZURE_ENDPOINT", azure.vault().endpoint().toString(),
                "KEYHOLD_KMS_AZURE_TRUST_STORE", azure.caPem().toString()), null);
        server = KeyholdServer.start(b.bootstrapCredentials(KEY, SECRET).printBootstrapSecret(false).build());
    }

    @AfterEach
    void stop() {
        server.close();
        azure.close();
    }

    @Test
    void eachAzureKeyProblemIsInvalidWithAMessageThatNamesTheFix() throws Exception {
        FakeKeyVault vault = azure.vault();
        assertThat(validate(vault.createKey("EC"))).contains("Keyhold needs an RSA key to wrap data keys; this key is EC");
        String purgeable = vault.createKey();
        vault.recoveryLevel(purgeable, "Recoverable+Purgeable");
        assertThat(validate(purgeable)).contains("enable purge protection on the vault");
        String expired = vault.createKey();
        vault.dates(expired, null, Instant.now().minusSeconds(60));
        assertThat(validate(expired)).contains("the key expired on").contains("set a later expiration date or rotate the key")
                .doesNotContain("enable it");
        String noOps = vault.createKey();
        vault.keyOps(noOps, List.of("encrypt", "decrypt"));
        assertThat(validate(noOps)).contains("do not include wrapKey and unwrapKey");
        String noRole = vault.createKey();
        vault.denyUnwrap(noRole);
        assertThat(validate(noRole)).startsWith("Access to key denied.").contains("Key Vault Crypto Service Encryption User");
        assertThat(validate(vault.unknownKeyRef())).startsWith("Key not found");
    }

    /** Registers the key and returns the message of its INVALID validation. */
    private String validate(String keyUrl) throws Exception {
        String id = send("POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"AzureKey\",\"key_id\":\"" + keyUrl + "\",\"key_vault_id\":\""
                + VAULT_ID + "\",\"tenant_id\":\"" + FakeAzure.TENANT + "\"}}", 201).get("id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode v = send("GET", "/byok/v1/keys/" + id, null, 200).path("validation");
        while (v.path("phase").asText().equals("INITIALIZING") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            v = send("GET", "/byok/v1/keys/" + id, null, 200).path("validation");
        }
        assertThat(v.path("phase").asText()).as(keyUrl + ": " + v).isEqualTo("INVALID");
        return v.path("message").asText();
    }

    private JsonNode send(String method, String path, String body, int expected) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> res = http.send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(method + " " + path + ": " + res.body()).isEqualTo(expected);
        return JSON.readTree(res.body());
    }
}
