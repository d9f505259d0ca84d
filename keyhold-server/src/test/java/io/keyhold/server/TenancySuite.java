package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.support.Api;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One KMS key per cluster, across every organization of the server, and tenants that see nothing
 * of each other: two organizations, and two environments of one organization with an
 * EnvironmentAdmin each. Black box, over HTTP; run once per database (H2 and PostgreSQL).
 */
public abstract class TenancySuite extends ApiTestBase {

    // ---- one KMS key, one key object -----------------------------------------------------------

    @Test
    void aKmsKeyCanBeRegisteredOnlyOnce() throws Exception {
        String first = createLocalKey(admin, unique("kek"), "first");
        String kmsName = admin.get("/byok/v1/keys/" + first).body().path("key").path("key_id").asText();
        JsonNode e = assertError(registerLocal(admin, kmsName), 409, "resource_already_exists");
        assertThat(e.path("detail").asText()).contains("'" + first + "'").contains("only once");

        // the same KMS key written differently is still the same key
        String vault = "https://vault-name.vault.azure.net/keys/";
        String name = unique("Shared");
        String az = vault + name;
        assertThat(registerAzure(az).status()).isEqualTo(201);
        assertError(registerAzure(az + "/0123456789abcdef0123456789abcdef"), 409, "resource_already_exists");
        // Key Vault compares identifiers case-insensitively
        assertError(registerAzure(vault + name.toUpperCase(java.util.Locale.ROOT)), 409, "resource_already_exists");
        String gcp = "projects/exampleproject/locations/us-central1/keyRings/ring/cryptoKeys/" + unique("k");
        assertThat(register(admin, "{\"kind\":\"GcpKey\",\"key_id\":\"" + gcp + "\"}").status()).isEqualTo(201);
        assertError(register(admin, "{\"kind\":\"GcpKey\",\"key_id\":\"" + gcp + "/cryptoKeyVersions/3\"}"), 409, "resource_already_exists");
        // the replicas of a multi-Region AWS key are one key in every region
        String mrk = "mrk-" + UUID.randomUUID().toString().replace("-", "");
        assertThat(registerAws(admin, "arn:aws:kms:us-east-1:111122223333:key/" + mrk).status()).isEqualTo(201);
        assertError(registerAws(admin, "arn:aws:kms:eu-west-1:111122223333:key/" + mrk), 409, "resource_already_exists");

        // another organization can not register it either, and learns nothing about who has it
        Api other = (Api) secondOrganization()[0];
        String arn = "arn:aws:kms:us-west-2:111122223333:key/" + UUID.randomUUID();
        String mine = registerAws(admin, arn).body().get("id").asText();
        JsonNode theirs = assertError(registerAws(other, arn), 409, "resource_already_exists");
        assertThat(theirs.path("detail").asText()).doesNotContain(mine).contains("can not see");
        assertThat(other.get("/byok/v1/keys?page_size=100").body().path("metadata").path("total_size").asInt()).isZero();
        // ... and a different local key name in its own part of the local KMS is its own key
        assertThat(registerLocal(other, kmsName).status()).isEqualTo(201);
    }

    @Test
    void theKmsKeyStaysHeldThroughTheReleaseHoldAndIsFreeOnceItsKeyObjectIsDeleted() {
        String kmsName = unique("held");
        String key = createLocalKey(admin, kmsName, "held");
        awaitValidation(key);
        String cluster = admin.post("/cmk/v2/clusters", clusterBody("c", env, "LOCAL", "local", key)).body().get("id").asText();
        assertError(registerLocal(admin, kmsName), 409, "resource_already_exists");
        assertThat(admin.delete("/cmk/v2/clusters/" + cluster + "?environment=" + env).status()).isEqualTo(204);
        // within the release hold: still held, by the key object that can not be deleted yet
        JsonNode e = assertError(registerLocal(admin, kmsName), 409, "resource_already_exists");
        assertThat(e.path("detail").asText()).contains(key);
        assertError(admin.delete("/byok/v1/keys/" + key), 409, "key_in_use");
        clock.advance(Duration.ofDays(5).plusMinutes(1));
        assertError(registerLocal(admin, kmsName), 409, "resource_already_exists");
        assertThat(admin.delete("/byok/v1/keys/" + key).status()).isEqualTo(204);
        Api.Res again = registerLocal(admin, kmsName);
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertThat(awaitValidation(again.body().get("id").asText()).path("validation").path("phase").asText()).isEqualTo("VALID");
    }

    /** Through the real aws provider against the KMS fake: DescribeKey of an alias names its target key, as AWS does. */
    @Test
    void anAliasAndItsTargetKeyAreOneKey() {
        String keyArn = cloud.aws().createKeyIn("us-west-2");
        String aliasArn = cloud.aws().createAlias(keyArn);
        String byKey = registerAws(admin, keyArn).body().get("id").asText();
        assertThat(awaitValidation(byKey).path("validation").path("phase").asText()).isEqualTo("VALID");
        // the alias is a different text: only the KMS can tell it is the same key, so validation refuses it
        Api.Res alias = registerAws(admin, aliasArn);
        assertThat(alias.status()).as(alias.toString()).isEqualTo(201);
        JsonNode v = awaitValidation(alias.body().get("id").asText()).path("validation");
        assertThat(v.path("phase").asText()).isEqualTo("INVALID");
        assertThat(v.path("message").asText()).contains(keyArn).contains("'" + byKey + "'");
        assertThat(admin.post("/cmk/v2/clusters", clusterBody("a", env, "AWS", "us-west-2", byKey)).status()).isEqualTo(202);
        assertError(admin.post("/cmk/v2/clusters", clusterBody("b", env, "AWS", "us-west-2", alias.body().get("id").asText())), 422,
                "invalid_configuration");

        // the other way round: once an alias validated, its target key ARN is held too
        String target2 = cloud.aws().createKeyIn("us-west-2");
        String alias2 = registerAws(admin, cloud.aws().createAlias(target2)).body().get("id").asText();
        assertThat(awaitValidation(alias2).path("validation").path("phase").asText()).isEqualTo("VALID");
        JsonNode e = assertError(registerAws(admin, target2), 409, "resource_already_exists");
        assertThat(e.path("detail").asText()).contains("'" + alias2 + "'");
    }

    @Test
    void concurrentRegistrationsOfOneKmsKeyHaveOneWinnerAcrossOrganizations() throws Exception {
        Api other = (Api) secondOrganization()[0];
        String arn = "arn:aws:kms:us-east-1:111122223333:key/" + UUID.randomUUID();
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Api api = i % 2 == 0 ? admin : other;
                results.add(pool.submit(() -> {
                    go.await();
                    return registerAws(api, arn).status();
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : results) {
                statuses.add(f.get());
            }
            assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
            assertThat(statuses).filteredOn(s -> s == 409).hasSize(n - 1);
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- local KMS keys belong to their organization -------------------------------------------

    @Test
    void localKmsKeysBelongToTheOrganizationThatCreatedThem() throws Exception {
        Api other = (Api) secondOrganization()[0];
        String name = unique("ours");
        assertThat(admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}").status()).isEqualTo(201);
        String path = "/keyhold/v1/local-kms/keys/" + name;

        assertThat(other.get("/keyhold/v1/local-kms/keys?page_size=100").raw().body()).doesNotContain(name);
        assertError(other.get(path), 404, null);
        for (String op : List.of("rotate", "disable", "enable", "cancel-deletion", "destroy")) {
            assertError(other.post(path + "/" + op, null), 404, null);
        }
        assertError(other.post(path + "/schedule-deletion", "{\"waiting_period_days\":0}"), 404, null);
        // nor by the name the store gives it
        assertThat(other.get("/keyhold/v1/local-kms/keys/" + server.bootstrapOrganizationId() + "%2F" + name).status()).isIn(400, 404);
        JsonNode untouched = admin.get(path).body();
        assertThat(untouched.path("state").asText()).isEqualTo("ENABLED");
        assertThat(untouched.path("current_version").asText()).isEqualTo("1");

        // the other organization's LocalKey with that name is its own (missing) key, never ours
        String borrowed = registerLocal(other, name).body().get("id").asText();
        JsonNode v = awaitValidation(other, borrowed).path("validation");
        assertThat(v.path("phase").asText()).isEqualTo("INVALID");
        assertThat(v.path("message").asText()).startsWith("Key not found");
        // it can make a key of the same name: a different key, and ours stays as it was
        assertThat(other.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}").status()).isEqualTo(201);
        assertThat(other.post(path + "/rotate", null).body().path("current_version").asText()).isEqualTo("2");
        assertThat(admin.get(path).body().path("current_version").asText()).isEqualTo("1");
        assertThat(admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}").status()).isEqualTo(409);

        // automatic cluster keys are Keyhold's: not a customer's key name, not a key to register
        JsonNode reserved = assertError(admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"keyhold-auto-lkc-x\"}"), 422,
                "invalid_configuration");
        assertThat(reserved.path("detail").asText()).contains("reserved");
        assertError(registerLocal(admin, "keyhold-auto-lkc-x"), 422, "invalid_configuration");
    }

    // ---- tenants see nothing of each other -----------------------------------------------------

    @Test
    void anEnvironmentAdminSeesNothingOfAnotherEnvironment() {
        String envB = createEnvironment(unique("env-b"));
        Api adminA = userWithRole("EnvironmentAdmin", env);
        Api adminB = userWithRole("EnvironmentAdmin", envB);
        String kmsName = unique("b-kek");
        assertThat(admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + kmsName + "\"}").status()).isEqualTo(201);
        String tag = unique("b-key");
        String keyB = registerLocal(adminB, kmsName, tag).body().get("id").asText();
        awaitValidation(keyB);
        Api.Res c = adminB.post("/cmk/v2/clusters", clusterBody("b", envB, "LOCAL", "local", keyB));
        assertThat(c.status()).as(c.toString()).isEqualTo(202);
        String clusterB = c.body().get("id").asText();

        // B sees its own
        assertThat(adminB.get("/byok/v1/keys/" + keyB).status()).isEqualTo(200);
        assertThat(adminB.get("/cmk/v2/clusters/" + clusterB + "?environment=" + envB).status()).isEqualTo(200);
        assertThat(adminB.get("/keyhold/v1/local-kms/keys/" + kmsName).status()).isEqualTo(200);

        // A sees nothing of it: the key B's cluster claimed, the cluster, the environment, the local KMS key
        assertInvisible(adminA, keyB, tag, kmsName, clusterB, envB);
        JsonNode dup = assertError(registerLocal(adminA, kmsName), 409, "resource_already_exists");
        assertThat(dup.path("detail").asText()).doesNotContain(keyB);
        assertError(adminA.post("/cmk/v2/clusters", clusterBody("steal", env, "LOCAL", "local", keyB)), 422, "invalid_configuration");
        assertThat(admin.get("/cmk/v2/clusters/" + clusterB + "?environment=" + envB).body().path("status").path("phase").asText())
                .isEqualTo("PROVISIONING");

        // API keys, service accounts and role bindings are the OrganizationAdmin's: refused before any lookup,
        // so an existing id and a made-up one get the same answer
        String saId = admin.post("/iam/v2/service-accounts", "{\"display_name\":\"" + unique("sa") + "\"}").body().get("id").asText();
        String apiKey = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"k\",\"owner\":{\"id\":\"" + saId + "\"}}}").body()
                .get("id").asText();
        for (String path : List.of("/iam/v2/api-keys/", "/iam/v2/service-accounts/")) {
            String real = path + (path.contains("api-keys") ? apiKey : saId);
            assertError(adminA.get(real), 403, "user_unauthorized");
            assertError(adminA.get(path + "NOSUCHTHING0000"), 403, "user_unauthorized");
            assertError(adminA.delete(real), 403, "user_unauthorized");
        }
        assertThat(admin.get("/iam/v2/api-keys/" + apiKey).status()).isEqualTo(200);

        // through the release hold the key is still B's; after it, it is the organization's again
        assertThat(adminB.delete("/cmk/v2/clusters/" + clusterB + "?environment=" + envB).status()).isEqualTo(204);
        assertError(adminA.get("/byok/v1/keys/" + keyB), 404, null);
        clock.advance(Duration.ofDays(5).plusMinutes(1));
        assertThat(adminA.get("/byok/v1/keys/" + keyB).status()).isEqualTo(200);
        assertThat(adminA.get("/keyhold/v1/local-kms/keys/" + kmsName).status()).isEqualTo(200);
        // the ReadOnly role reads the whole organization
        assertThat(userWithRole("ReadOnly", null).get("/org/v2/environments/" + envB).status()).isEqualTo(200);
    }

    @Test
    void organizationsSeeNothingOfEachOther() throws Exception {
        Object[] b = secondOrganization();
        Api other = (Api) b[0];
        String otherEnv = (String) b[1];
        String kmsName = unique("a-kek");
        String tag = unique("a-key");
        String key = createLocalKey(admin, kmsName, tag);
        awaitValidation(key);
        String cluster = admin.post("/cmk/v2/clusters", clusterBody("a", env, "LOCAL", "local", key)).body().get("id").asText();
        assertInvisible(other, key, tag, kmsName, cluster, env);

        String saId = admin.post("/iam/v2/service-accounts", "{\"display_name\":\"" + unique("sa") + "\"}").body().get("id").asText();
        String apiKey = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"k\",\"owner\":{\"id\":\"" + saId + "\"}}}").body()
                .get("id").asText();
        Api.Res rb = admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"ReadOnly\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + server.bootstrapOrganizationId() + "\"}");
        String binding = rb.body().get("id").asText();
        for (String path : List.of("/iam/v2/api-keys/" + apiKey, "/iam/v2/service-accounts/" + saId, "/iam/v2/role-bindings/" + binding)) {
            assertError(other.get(path), 404, null);
            assertError(other.delete(path), 404, null);
            assertThat(admin.get(path).status()).as(path).isEqualTo(200);
        }
        assertError(other.patch("/iam/v2/api-keys/" + apiKey, "{\"spec\":{\"display_name\":\"mine\"}}"), 404, null);
        for (String list : List.of("/iam/v2/api-keys", "/iam/v2/service-accounts", "/iam/v2/role-bindings")) {
            assertThat(other.get(list + "?page_size=100").raw().body()).as(list).doesNotContain(apiKey).doesNotContain(saId);
        }
        assertError(other.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"ReadOnly\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + server.bootstrapOrganizationId() + "\"}"), 422, "invalid_configuration");
        assertError(other.get("/org/v2/organizations/" + server.bootstrapOrganizationId()), 404, null);
        assertThat(other.get("/cmk/v2/clusters?environment=" + otherEnv).body().path("data")).isEmpty();
    }

    /** Every object of the other side is not found for {@code api}, and none of them changed. */
    private void assertInvisible(Api api, String key, String keyTag, String kmsName, String cluster, String clusterEnv) {
        assertError(api.get("/byok/v1/keys/" + key), 404, null);
        assertError(api.patch("/byok/v1/keys/" + key, "{\"display_name\":\"mine now\"}"), 404, null);
        assertError(api.delete("/byok/v1/keys/" + key), 404, null);
        assertThat(api.get("/byok/v1/keys?page_size=100&display_name=" + enc(keyTag)).body().path("metadata").path("total_size").asInt())
                .isZero();
        assertThat(api.get("/byok/v1/keys?page_size=100&state=IN_USE").raw().body()).doesNotContain(key);
        assertError(api.get("/keyhold/v1/local-kms/keys/" + kmsName), 404, null);
        assertThat(api.get("/keyhold/v1/local-kms/keys?page_size=100").raw().body()).doesNotContain(kmsName);
        assertError(api.get("/org/v2/environments/" + clusterEnv), 404, null);
        assertError(api.get("/cmk/v2/clusters?environment=" + clusterEnv), 404, null);
        assertError(api.get("/cmk/v2/clusters/" + cluster + "?environment=" + clusterEnv), 404, null);
        assertError(api.delete("/cmk/v2/clusters/" + cluster + "?environment=" + clusterEnv), 404, null);
        JsonNode e = assertError(api.patch("/cmk/v2/clusters/" + cluster, "{\"spec\":{\"display_name\":\"x\",\"environment\":{\"id\":\""
                + clusterEnv + "\"}}}"), 422, "invalid_configuration");
        assertThat(e.path("detail").asText()).contains("not found");
        assertThat(api.get("/metrics").raw().body()).doesNotContain(cluster);

        JsonNode k = admin.get("/byok/v1/keys/" + key).body();
        assertThat(k.path("display_name").asText()).isEqualTo(keyTag);
        assertThat(k.path("state").asText()).isEqualTo("IN_USE");
        JsonNode c = admin.get("/cmk/v2/clusters/" + cluster + "?environment=" + clusterEnv).body();
        assertThat(c.path("spec").path("display_name").asText()).isNotEqualTo("x");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private Api.Res register(Api api, String keyJson) {
        return api.post("/byok/v1/keys", "{\"key\":" + keyJson + "}");
    }

    private Api.Res registerLocal(Api api, String kmsName) {
        return register(api, "{\"kind\":\"LocalKey\",\"key_id\":\"" + kmsName + "\"}");
    }

    private Api.Res registerLocal(Api api, String kmsName, String displayName) {
        return api.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"" + kmsName + "\"},\"display_name\":\""
                + displayName + "\"}");
    }

    private Api.Res registerAws(Api api, String arn) {
        return register(api, "{\"kind\":\"AwsKey\",\"key_arn\":\"" + arn + "\"}");
    }

    private Api.Res registerAzure(String url) {
        return register(admin, "{\"kind\":\"AzureKey\",\"key_id\":\"" + url + "\",\"key_vault_id\":\"/subscriptions/"
                + "00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name\","
                + "\"tenant_id\":\"00000000-0000-0000-0000-000000000000\"}");
    }

    /** As {@link #awaitValidation(String)}, for a key of another organization. */
    private static JsonNode awaitValidation(Api api, String keyId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonNode k = api.get("/byok/v1/keys/" + keyId).body();
        while (k.path("validation").path("phase").asText().equals("INITIALIZING") && System.nanoTime() < deadline) {
            sleep(50);
            k = api.get("/byok/v1/keys/" + keyId).body();
        }
        return k;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
