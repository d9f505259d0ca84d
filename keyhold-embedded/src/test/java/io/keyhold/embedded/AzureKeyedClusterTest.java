package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.azure.fake.FakeAzure;
import io.keyhold.kms.azure.fake.FakeKeyVault;
import io.keyhold.server.ClusterRuntime;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "AZUREE2EKEY";
    private static final String SECRET = "azure-e2e-test-secret-0123456789";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);
    private static final String VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
            + "Microsoft.KeyVault/vaults/keyhold-e2e";

    @TempDir
    Path dataDir;
    @TempDir
    Path fakeDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void anAzureKeyedClusterServesKcatStoresOnlyCiphertextUsesNewVersionsLocksWhenTheKeyIsDisabledAndResumes() throws Exception {
        try (FakeAzure azure = FakeAzure.keyVault(fakeDir, "keyhold-e2e")) {
            azure.installCredentials();
            FakeKeyVault vault = azure.vault();
            String keyUrl = vault.createKey();
            String v1 = vault.currentVersion(keyUrl);
            ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                    "bind", "127.0.0.1", "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms",
                    "azure-application-id", FakeAzure.CLIENT_ID),
                    Map.of("KEYHOLD_KMS_AZURE_ENDPOINT", vault.endpoint().toString(), "KEYHOLD_KMS_AZURE_TRUST_STORE", azure.caPem().toString()),
                    null);
            builder.kms(builder.build().kms());
            ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
            try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                    .printBootstrapSecret(false).build())) {
                String url = server.url();
                String env = server.bootstrapEnvironmentId();
                // registered with a version, as the portal shows key URLs: stored without it
                JsonNode created = send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"AzureKey\",\"key_id\":\"" + keyUrl + "/" + v1
                        + "\",\"key_vault_id\":\"" + VAULT_ID + "\",\"tenant_id\":\"" + FakeAzure.TENANT + "\"}}", 201);
                assertThat(created.path("key").path("key_id").asText()).isEqualTo(keyUrl);
                assertThat(created.path("key").path("application_id").asText()).isEqualTo(FakeAzure.CLIENT_ID);
                String byok = created.get("id").asText();
                await(() -> validation(url, byok).path("phase").asText().equals("VALID"), "key " + byok + " VALID", Duration.ofSeconds(60));
                JsonNode validation = validation(url, byok);
                assertThat(validation.path("message").asText()).contains("region was not checked");
                assertThat(validation.has("region")).as("no region recorded").isFalse();

                // Key Vault does not say where the key lives: a cluster in any Azure region may use it
                String cluster = send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"azure-orders\",\"availability\":"
                        + "\"SINGLE_ZONE\",\"cloud\":\"AZURE\",\"region\":\"westeurope\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},"
                        + "\"environment\":{\"id\":\"" + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
                String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env;
                await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster " + cluster + " PROVISIONED", Duration.ofSeconds(90));
                String endpoint = send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

                String canary = "azure-card-" + UUID.randomUUID();
                Kcat.produce(endpoint, "payments", List.of(canary + " #1", canary + " #2"));
                assertThat(Kcat.consume(endpoint, "payments", 2)).containsExactly(canary + " #1", canary + " #2");
                assertThat(vault.count("/" + v1 + "/wrapkey", 200)).as("data keys wrapped by Key Vault under v1").isPositive();
                Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
                assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();

                // Azure rotates the key: within a health interval new data keys are wrapped under the new version.
                vault.rotate(keyUrl);
                String v2 = vault.currentVersion(keyUrl);
                Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis());
                Kcat.produce(endpoint, "refunds", List.of(canary + " refund"));
                assertThat(vault.count("/" + v2 + "/wrapkey", 200)).as("a new topic's data key wrapped under v2").isPositive();

                // The customer disables the key (its current version): the cluster locks, its data keys are dropped.
                long disabledAt = System.nanoTime();
                vault.disable(keyUrl);
                await(() -> phase(url, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(10));
                System.out.println("Azure key disabled -> cluster LOCKED in " + Duration.ofNanos(System.nanoTime() - disabledAt).toMillis()
                        + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(Kcat.produceFails(endpoint, "payments", canary + " while locked")).isTrue();
                assertThat(Kcat.consume(endpoint, "payments", 1)).as("a locked cluster serves no records").isEmpty();

                // ... and enables it: the cluster resumes; records of both versions read back, unwrapped by Key Vault again.
                long v1UnwrapsBefore = vault.count("/" + v1 + "/unwrapkey", 200);
                vault.enable(keyUrl);
                await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again", HEALTH_INTERVAL.multipliedBy(10));
                Kcat.produce(endpoint, "payments", List.of(canary + " #3"));
                assertThat(Kcat.consume(endpoint, "payments", 3)).containsExactly(canary + " #1", canary + " #2", canary + " #3");
                assertThat(Kcat.consume(endpoint, "refunds", 1)).containsExactly(canary + " refund");
                assertThat(vault.count("/" + v1 + "/unwrapkey", 200)).as("v1's data key unwrapped after the lock").isGreaterThan(v1UnwrapsBefore);
                assertThat(OnDisk.plaintext(logDir, canary)).isEmpty();
            } finally {
                ((AutoCloseable) runtime).close();
            }
        }
    }

    private JsonNode validation(String url, String byok) throws Exception {
        return send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation");
    }

    private String phase(String url, String clusterPath) throws Exception {
        return send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }

    private JsonNode send(String url, String method, String path, String body, int expected) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((KEY + ":" + SECRET).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
        return JSON.readTree(r.body());
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void await(Check check, String what, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        while (!check.ok()) {
            assertThat(System.nanoTime()).as("waited too long for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
