package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.azure.fake.FakeAzure;
import io.keyhold.kms.azure.fake.FakeKeyVault;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import io.keyhold.server.support.Api;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The black-box API suite: every endpoint of the contract, its filters, paging, errors, roles,
 * quota, rate limit and the key/cluster rules. Run once per database (H2 and PostgreSQL).
 */
public abstract class ApiContractSuite extends ApiTestBase {

    // ---- service endpoints -------------------------------------------------------------------

    @Test
    void healthzAndReadyzNeedNoAuthMetricsAndOpenApiDo() {
        Api.Res h = admin.anonymous().get("/healthz");
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.header("X-Request-Id")).isNotBlank();
        // No cluster runtime here, so no cluster is PROVISIONED: ready as soon as the database answers.
        Api.Res r = admin.anonymous().get("/readyz");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.raw().body()).isEqualTo("{\"status\":\"ready\"}");
        assertThat(r.header("X-RateLimit-Limit")).isNull();
        assertThat(admin.get("/readyz").body().path("database").asText()).isEqualTo("ok");
        assertError(admin.anonymous().get("/metrics"), 401, "user_unauthenticated");
        assertError(admin.anonymous().get("/openapi.yaml"), 401, "user_unauthenticated");
        admin.get("/byok/v1/keys");
        Api.Res m = admin.get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.raw().body()).contains("keyhold_http_requests_seconds_count").contains("jvm_memory_used_bytes");
        assertThat(openApi).contains("openapi: 3.0").contains("/byok/v1/keys").contains("LocalKey").contains("/cmk/v2/clusters")
                .contains("/readyz");
    }

    @Test
    void metricsNeedAnOrganizationWideRole() {
        assertThat(userWithRole("ReadOnly", null).get("/metrics").status()).isEqualTo(200);
        JsonNode e = assertError(userWithRole("EnvironmentAdmin", env).get("/metrics"), 403, "user_unauthorized");
        assertThat(e.path("detail").asText()).contains("'OrganizationAdmin' or 'ReadOnly'");
        assertError(userWithRole(null, null).get("/metrics"), 403, "user_unauthorized");
        assertError(admin.as(BOOT_KEY, "wrong-secret").get("/metrics"), 401, "user_unauthenticated");
    }

    @Test
    void everyResponseHasRequestIdAndRateLimitHeaders() {
        Api.Res r = admin.get("/org/v2/environments");
        assertThat(r.header("X-Request-Id")).isNotBlank();
        assertThat(r.header("X-RateLimit-Limit")).isEqualTo(Integer.toString(RATE_LIMIT));
        assertThat(Integer.parseInt(r.header("X-RateLimit-Remaining"))).isBetween(0, RATE_LIMIT - 1);
        assertThat(Integer.parseInt(r.header("X-RateLimit-Reset"))).isBetween(1, 60);
        Api.Res e = admin.get("/byok/v1/keys/cck-missing");
        assertThat(e.header("X-Request-Id")).isNotBlank().isNotEqualTo(r.header("X-Request-Id"));
        assertThat(e.header("X-RateLimit-Limit")).isNotBlank();
    }

    // ---- authentication ----------------------------------------------------------------------

    @Test
    void missingOrBadCredentialsAre401() {
        Api.Res none = admin.anonymous().get("/byok/v1/keys");
        assertError(none, 401, "user_unauthenticated");
        assertThat(none.header("WWW-Authenticate")).startsWith("Basic");
        assertError(admin.as(BOOT_KEY, "wrong-secret").get("/byok/v1/keys"), 401, "user_unauthenticated");
        assertError(admin.as("NOSUCHKEY0000000", BOOT_SECRET).get("/byok/v1/keys"), 401, "user_unauthenticated");
        assertError(admin.sendRawAuth("GET", "/byok/v1/keys", "Basic !!!notbase64"), 401, "user_unauthenticated");
        assertError(admin.sendRawAuth("GET", "/byok/v1/keys", "Bearer abc"), 401, "user_unauthenticated");
        assertError(admin.sendRawAuth("GET", "/byok/v1/keys", "Basic " + java.util.Base64.getEncoder()
                .encodeToString("nocolon".getBytes(StandardCharsets.UTF_8))), 401, "user_unauthenticated");
    }

    @Test
    void rolesDecideWhatAKeyMayDo() {
        String otherEnv = createEnvironment(unique("other"));
        Api readOnly = userWithRole("ReadOnly", null);
        Api envAdmin = userWithRole("EnvironmentAdmin", env);
        Api noRole = userWithRole(null, null);
        String aws = "{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"" + awsArn("us-east-1", "ab-1") + "\"}}";

        // ReadOnly reads everything and changes nothing.
        assertThat(readOnly.get("/byok/v1/keys").status()).isEqualTo(200);
        assertThat(readOnly.get("/cmk/v2/clusters?environment=" + env).status()).isEqualTo(200);
        assertThat(readOnly.get("/org/v2/environments").status()).isEqualTo(200);
        assertError(readOnly.post("/byok/v1/keys", aws), 403, "user_unauthorized");
        assertError(readOnly.post("/cmk/v2/clusters", clusterBody("x", env, "AWS", "us-east-1", null)), 403, "user_unauthorized");
        assertError(readOnly.post("/org/v2/environments", "{\"display_name\":\"nope\"}"), 403, "user_unauthorized");
        assertError(readOnly.get("/iam/v2/api-keys"), 403, "user_unauthorized");

        // EnvironmentAdmin manages keys and the clusters of its environment only.
        Api.Res created = envAdmin.post("/byok/v1/keys", aws);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(envAdmin.post("/cmk/v2/clusters", clusterBody(unique("c"), env, "AWS", "us-east-1", null)).status()).isEqualTo(202);
        // another environment is not found, like one that does not exist (tenantsSeeNothingOfEachOther has the rest)
        assertError(envAdmin.post("/cmk/v2/clusters", clusterBody("x", otherEnv, "AWS", "us-east-1", null)), 422, "invalid_configuration");
        assertError(envAdmin.get("/cmk/v2/clusters?environment=" + otherEnv), 404, null);
        assertError(envAdmin.get("/org/v2/environments/" + otherEnv), 404, null);
        JsonNode envs = envAdmin.get("/org/v2/environments").body();
        assertThat(envs.path("data")).extracting(n -> n.path("id").asText()).containsExactly(env);
        assertError(envAdmin.post("/org/v2/environments", "{\"display_name\":\"nope\"}"), 403, "user_unauthorized");
        assertError(envAdmin.get("/iam/v2/api-keys"), 403, "user_unauthorized");
        assertError(envAdmin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"x\"}}"), 403, "user_unauthorized");

        // Valid credentials without any role: 403, not 401.
        assertError(noRole.get("/byok/v1/keys"), 403, "user_unauthorized");
        assertError(noRole.get("/cmk/v2/clusters?environment=" + env), 403, "user_unauthorized");
        assertError(noRole.get("/service-quota/v1/applied-quotas?scope=ORGANIZATION"), 403, "user_unauthorized");
        assertThat(admin.delete("/byok/v1/keys/" + created.body().get("id").asText()).status()).isEqualTo(204);
    }

    // ---- byok/v1 keys ------------------------------------------------------------------------

    @Test
    void awsKeyLifecycle() {
        String name = unique("Production key");
        Api.Res c = createAwsKey(name, "us-west-2");
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        JsonNode key = c.body();
        assertKeySchema(key);
        String id = key.get("id").asText();
        assertThat(id).startsWith("cck-");
        assertThat(c.header("Location")).isEqualTo(key.path("metadata").path("self").asText()).endsWith("/byok/v1/keys/" + id);
        assertThat(key.path("metadata").path("resource_name").asText())
                .isEqualTo("crn://keyhold/organization=" + server.bootstrapOrganizationId() + "/key=" + id);
        assertThat(key.path("api_version").asText()).isEqualTo("byok/v1");
        assertThat(key.path("kind").asText()).isEqualTo("Key");
        assertThat(key.path("provider").asText()).isEqualTo("AWS");
        assertThat(key.path("state").asText()).isEqualTo("AVAILABLE");
        assertThat(key.path("key").path("roles").get(0).asText()).isEqualTo("arn:aws:iam::000000000000:role/keyhold");
        assertThat(key.path("validation").path("phase").asText()).isEqualTo("INITIALIZING");
        assertThat(key.path("validation").path("region").asText()).isEqualTo("us-west-2");

        JsonNode validated = awaitValidation(id);
        assertKeySchema(validated);
        assertThat(validated.path("validation").path("phase").asText()).isEqualTo("INVALID");
        // the test's fake AWS KMS has no such key (GcpKey in azureAndGcpKeys shows a provider that is not installed)
        assertThat(validated.path("validation").path("message").asText()).startsWith("Key not found");

        Api.Res got = admin.get("/byok/v1/keys/" + id);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body().path("key")).isEqualTo(key.path("key"));

        Api.Res patched = admin.patch("/byok/v1/keys/" + id, "{\"display_name\":\"renamed\"}");
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(patched.body().path("display_name").asText()).isEqualTo("renamed");
        assertKeySchema(patched.body());
        assertError(admin.patch("/byok/v1/keys/" + id, "{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"" + awsArn("us-west-2", "x")
                + "\"}}"), 422, "invalid_configuration");
        assertError(admin.patch("/byok/v1/keys/" + id, "{\"display_name\":5}"), 422, "invalid_configuration");
        assertError(admin.patch("/byok/v1/keys/cck-nothere", "{\"display_name\":\"x\"}"), 404, null);

        assertThat(admin.delete("/byok/v1/keys/" + id).status()).isEqualTo(204);
        JsonNode e = assertError(admin.get("/byok/v1/keys/" + id), 404, null);
        assertThat(e.path("title").asText()).isEqualTo("Not Found");
        assertError(admin.delete("/byok/v1/keys/" + id), 404, null);
    }

    @Test
    void azureAndGcpKeys() {
        Api.Res az = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"AzureKey\",\"key_id\":"
                + "\"https://vault-name.vault.azure.net/keys/key-name/0123456789abcdef0123456789abcdef\","
                + "\"key_vault_id\":\"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name\","
                + "\"tenant_id\":\"00000000-0000-0000-0000-000000000000\"},\"display_name\":\"az\"}");
        assertThat(az.status()).as(az.toString()).isEqualTo(201);
        assertKeySchema(az.body());
        assertThat(az.body().path("provider").asText()).isEqualTo("Azure");
        assertThat(az.body().path("key").path("key_id").asText()).isEqualTo("https://vault-name.vault.azure.net/keys/key-name");

        Api.Res gcp = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"GcpKey\",\"key_id\":"
                + "\"projects/exampleproject/locations/us-central1/keyRings/ring/cryptoKeys/key\"}}");
        assertThat(gcp.status()).as(gcp.toString()).isEqualTo(201);
        assertKeySchema(gcp.body());
        assertThat(gcp.body().path("provider").asText()).isEqualTo("GCP");
        assertThat(gcp.body().path("validation").path("region").asText()).isEqualTo("us-central1");
        JsonNode v = awaitValidation(gcp.body().get("id").asText());
        assertThat(v.path("validation").path("message").asText()).contains("'gcp'").contains("not installed");
        admin.delete("/byok/v1/keys/" + az.body().get("id").asText());
        admin.delete("/byok/v1/keys/" + gcp.body().get("id").asText());
    }

    @Test
    void badKeysAre4xxWithPointers() {
        String[][] cases = {
                {"{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"not-an-arn\"}}", "/key/key_arn"},
                {"{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"arn:aws:s3:us-west-2:111122223333:key/x\"}}", "/key/key_arn"},
                {"{\"key\":{\"kind\":\"AwsKey\"}}", "/key/key_arn"},
                {"{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":7}}", "/key/key_arn"},
                {"{\"key\":{\"kind\":\"AzureKey\",\"key_id\":\"https://vault-name.vault.azure.net/keys/k\",\"key_vault_id\":\"x\",\"tenant_id\":\"00000000-0000-0000-0000-000000000000\"}}", "/key/key_vault_id"},
                {"{\"key\":{\"kind\":\"AzureKey\",\"key_id\":\"http://evil/keys/k\",\"key_vault_id\":\"x\",\"tenant_id\":\"t\"}}", "/key/key_id"},
                {"{\"key\":{\"kind\":\"GcpKey\",\"key_id\":\"projects/p\"}}", "/key/key_id"},
                {"{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"../../etc/passwd\"}}", "/key/key_id"},
                {"{\"key\":{\"kind\":\"VaultKeyNope\",\"key_id\":\"x\"}}", "/key/kind"},
                {"{\"key\":{\"kind\":5}}", "/key/kind"},
                {"{\"key\":\"AwsKey\"}", "/key"},
                {"{\"display_name\":\"no key\"}", "/key"},
                {"{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"a\"},\"display_name\":[1]}", "/display_name"},
                {"{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"a\"},\"surprise\":1}", "/surprise"},
                {"{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"a\",\"extra\":1}}", "/key/extra"},
        };
        for (String[] c : cases) {
            JsonNode e = assertError(admin.post("/byok/v1/keys", c[0]), 422, "invalid_configuration");
            assertThat(e.path("source").path("pointer").asText()).as(c[0]).isEqualTo(c[1]);
        }
        for (String bad : List.of("{bad json", "[1,2]", "\"text\"", "{\"key\":{}} trailing", "", "null", "{\"a\":" + "[".repeat(200))) {
            assertError(admin.post("/byok/v1/keys", bad), 400, "malformed_request");
        }
        byte[] huge = new byte[200_000];
        java.util.Arrays.fill(huge, (byte) 'a');
        Api.Res big = admin.sendBytes("POST", "/byok/v1/keys", huge, "Basic " + java.util.Base64.getEncoder()
                .encodeToString((BOOT_KEY + ":" + BOOT_SECRET).getBytes(StandardCharsets.UTF_8)));
        assertError(big, 413, "request_too_large");
    }

    @Test
    void listFiltersAndInvalidFilters() {
        String tag = unique("flt");
        String aws = createAwsKey(tag + "-Aws-Alpha", "eu-west-1").body().get("id").asText();
        String local = createLocalKey(admin, unique("kms"), tag + "-local-beta");
        String inUse = validLocalKey(tag + "-local-inuse");
        assertThat(admin.post("/cmk/v2/clusters", clusterBody(unique("c"), env, "LOCAL", "local", inUse)).status()).isEqualTo(202);
        awaitValidation(aws);
        awaitValidation(local);
        String dn = "display_name=" + enc(tag);

        assertThat(ids("/byok/v1/keys?page_size=100&" + dn)).containsExactlyInAnyOrder(aws, local, inUse);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&provider=AWS")).containsExactly(aws);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&provider=Local")).containsExactlyInAnyOrder(local, inUse);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&provider=Azure")).isEmpty();
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&state=IN_USE")).containsExactly(inUse);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&state=AVAILABLE")).containsExactlyInAnyOrder(aws, local);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&validation_phase=VALID")).containsExactlyInAnyOrder(local, inUse);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&validation_phase=INVALID")).containsExactly(aws);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&validation_phase=INITIALIZING")).isEmpty();
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&validation_region=eu-west-1")).containsExactly(aws);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&validation_region=local")).containsExactlyInAnyOrder(local, inUse);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&validation_region=eu")).isEmpty();
        // display_name and key: partial, case-insensitive
        assertThat(ids("/byok/v1/keys?page_size=100&display_name=" + enc(tag + "-AWS-al"))).containsExactly(aws);
        assertThat(ids("/byok/v1/keys?page_size=100&" + dn + "&key=" + enc(":111122223333:KEY/"))).containsExactly(aws);
        // SQL metacharacters are plain text
        for (String sql : List.of("%", "_", "'", "' OR '1'='1", "\\", "!", "; DROP TABLE byok_keys; --")) {
            Api.Res r = admin.get("/byok/v1/keys?display_name=" + enc(tag + sql));
            assertThat(r.status()).as(sql).isEqualTo(200);
            assertThat(r.body().path("data").size()).as(sql).isZero();
            assertThat(admin.get("/byok/v1/keys?key=" + enc(sql)).status()).isEqualTo(200);
        }
        String weird = tag + " 100%_'\"; DROP TABLE x;--";
        Api.Res w = createAwsKey(weird.replace("\"", "\\\""), "eu-west-1");
        assertThat(w.body().path("display_name").asText()).isEqualTo(weird);
        assertThat(ids("/byok/v1/keys?display_name=" + enc("100%_'"))).containsExactly(w.body().get("id").asText());

        String[][] invalid = {{"provider", "aws"}, {"provider", "IBM"}, {"state", "in-use"}, {"validation_phase", "valid"},
                {"page_size", "0"}, {"page_size", "101"}, {"page_size", "ten"}, {"page_token", "garbage"},
                {"page_token", "x".repeat(300)}, {"page_token", "cDEuLTE"}, {"num_doors", "4"}};
        for (String[] p : invalid) {
            JsonNode e = assertError(admin.get("/byok/v1/keys?" + p[0] + "=" + enc(p[1])), 400, "invalid_filter");
            assertThat(e.path("source").path("parameter").asText()).isEqualTo(p[0]);
        }
    }

    @Test
    void pagingOverMoreThanThreePages() {
        String tag = unique("page");
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            created.add(createAwsKey(tag + "-" + i, "us-east-2").body().get("id").asText());
        }
        String url = "/byok/v1/keys?display_name=" + enc(tag) + "&page_size=2";
        List<String> seen = new ArrayList<>();
        int pages = 0;
        JsonNode firstPage = null;
        JsonNode page = null;
        while (url != null) {
            Api.Res r = admin.get(url);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            page = r.body();
            assertPublished("byok-v1.yaml", "byok.v1.KeyList", page);
            if (firstPage == null) {
                firstPage = page;
                assertThat(page.path("metadata").path("prev").isNull()).isTrue();
            } else {
                assertThat(page.path("metadata").path("prev").isNull()).isFalse();
            }
            assertThat(page.path("metadata").path("total_size").asInt()).isEqualTo(9);
            page.path("data").forEach(k -> seen.add(k.get("id").asText()));
            pages++;
            JsonNode next = page.path("metadata").path("next");
            url = next.isNull() ? null : next.asText();
            assertThat(pages).isLessThan(10);
        }
        assertThat(pages).isEqualTo(5);
        assertThat(seen).containsExactlyElementsOf(created);
        // last and first links
        assertThat(page.path("metadata").path("last").asText()).isEqualTo(firstPage.path("metadata").path("last").asText());
        assertThat(ids(firstPage.path("metadata").path("last").asText())).containsExactly(created.get(8));
        assertThat(ids(page.path("metadata").path("first").asText())).containsExactly(created.get(0), created.get(1));
        assertThat(ids(page.path("metadata").path("prev").asText())).containsExactly(created.get(6), created.get(7));
        // the default page size is 10 and the maximum 100
        assertThat(admin.get("/byok/v1/keys?display_name=" + enc(tag)).body().path("data").size()).isEqualTo(9);
        assertThat(admin.get("/byok/v1/keys?page_size=100").status()).isEqualTo(200);
    }

    @Test
    void localKeysAreValidatedThroughTheLocalKms() {
        String ok = validLocalKey(unique("ok"));
        JsonNode key = admin.get("/byok/v1/keys/" + ok).body();
        assertKeySchema(key);
        assertThat(key.path("provider").asText()).isEqualTo("Local");
        assertThat(key.path("validation").path("region").asText()).isEqualTo("local");
        assertThat(key.path("validation").path("message").asText()).contains("valid");

        String disabledName = unique("kms");
        String disabled = createLocalKeyDisabledFirst(disabledName);
        JsonNode d = awaitValidation(disabled);
        assertThat(d.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(d.path("validation").path("message").asText()).containsIgnoringCase("disabled");

        Api.Res missing = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"" + unique("absent") + "\"}}");
        JsonNode m = awaitValidation(missing.body().get("id").asText());
        assertThat(m.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(m.path("validation").path("message").asText()).containsIgnoringCase("not found");
    }

    /**
     * Through the real azure provider against the Key Vault fake: every validation outcome, end to
     * end, in the words the validator gives the customer.
     */
    @Test
    void validationSaysExactlyWhatIsWrong() {
        FakeKeyVault vault = cloud.azure().vault();
        JsonNode good = azureValidation(vault.createKey());
        assertThat(good.path("phase").asText()).as(good.toString()).isEqualTo("VALID");
        // Key Vault does not say where a key lives: no region is recorded, and the message says so
        assertThat(good.has("region")).as(good.toString()).isFalse();
        assertThat(good.path("message").asText()).contains("region was not checked");

        String deniedKey = vault.createKey();
        vault.denyAccess(deniedKey);
        JsonNode denied = azureValidation(deniedKey);
        assertThat(denied.path("phase").asText()).isEqualTo("INVALID");
        assertThat(denied.path("message").asText()).startsWith("Access to key denied.");
        JsonNode missing = azureValidation(vault.unknownKeyRef());
        assertThat(missing.path("phase").asText()).isEqualTo("INVALID");
        assertThat(missing.path("message").asText()).startsWith("Key not found");
        JsonNode ec = azureValidation(vault.createKey("EC"));
        assertThat(ec.path("phase").asText()).isEqualTo("INVALID");
        assertThat(ec.path("message").asText()).startsWith("The key can not be used").contains("EC");
        String mangling = vault.createKey();
        vault.unwrapWrongly(mangling);
        JsonNode wrongUnwrap = azureValidation(mangling);
        assertThat(wrongUnwrap.path("phase").asText()).isEqualTo("INVALID");
        assertThat(wrongUnwrap.path("message").asText()).contains("did not unwrap a data key it had just wrapped");

        // an unreachable KMS is not the customer's fault: the key stays INITIALIZING, says why, and is validated once it answers
        vault.outage(KmsFakeAdmin.CanCauseOutages.Outage.ERROR_503);
        String id;
        JsonNode v;
        try {
            id = azureKey(vault.createKey());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            v = admin.get("/byok/v1/keys/" + id).body().path("validation");
            while (!v.path("message").asText().contains("could not be reached") && System.nanoTime() < deadline) {
                sleep(50);
                v = admin.get("/byok/v1/keys/" + id).body().path("validation");
            }
        } finally {
            vault.outage(KmsFakeAdmin.CanCauseOutages.Outage.NONE);
        }
        assertThat(v.path("phase").asText()).as(v.toString()).isEqualTo("INITIALIZING");
        assertThat(v.path("message").asText()).contains("could not be reached").contains("retrying");
        assertThat(awaitValidation(id).path("validation").path("phase").asText()).isEqualTo("VALID");

        // a VALID Azure key can encrypt a cluster in any Azure region: nothing says it is elsewhere
        assertThat(admin.post("/cmk/v2/clusters", clusterBody(unique("az"), env, "AZURE", "eastus", validAzure())).status()).isEqualTo(202);
        assertThat(admin.post("/cmk/v2/clusters", clusterBody(unique("az"), env, "AZURE", "westeurope", validAzure())).status())
                .isEqualTo(202);
    }

    /** Through the real aws provider against the KMS fake: a valid key records its region, and encrypts clusters there only. */
    @Test
    void anAwsKeyIsValidInItsRegionAndOnlyThere() {
        FakeAwsKms aws = cloud.aws();
        String keyArn = aws.createKeyIn("eu-central-1");
        Api.Res r = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"" + keyArn + "\"}}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        String id = r.body().get("id").asText();
        JsonNode valid = awaitValidation(id);
        assertKeySchema(valid);
        assertThat(valid.path("validation").path("phase").asText()).as(valid.toString()).isEqualTo("VALID");
        assertThat(valid.path("validation").path("region").asText()).isEqualTo("eu-central-1");
        assertThat(aws.count("DescribeKey")).as("the validator asked AWS").isPositive();
        JsonNode e = assertError(admin.post("/cmk/v2/clusters", clusterBody(unique("aws"), env, "AWS", "us-east-1", id)), 422,
                "invalid_configuration");
        assertThat(e.path("detail").asText()).contains("region");
        assertThat(admin.post("/cmk/v2/clusters", clusterBody(unique("aws"), env, "AWS", "eu-central-1", id)).status()).isEqualTo(202);

        String disabled = aws.createKeyIn("eu-central-1");
        aws.disable(disabled);
        JsonNode d = awaitValidation(admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"" + disabled
                + "\"}}").body().get("id").asText());
        assertThat(d.path("validation").path("phase").asText()).isEqualTo("INVALID");
        assertThat(d.path("validation").path("message").asText()).containsIgnoringCase("disabled");
    }

    private String validAzure() {
        String id = azureKey(cloud.azure().vault().createKey());
        assertThat(awaitValidation(id).path("validation").path("phase").asText()).isEqualTo("VALID");
        return id;
    }

    /** Registers the Key Vault key at {@code url} (the fake's vault, as the other Azure tests' URLs name it). */
    private String azureKey(String url) {
        Api.Res r = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"AzureKey\",\"key_id\":\"" + url
                + "\",\"key_vault_id\":\"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                + "Microsoft.KeyVault/vaults/vault-name\",\"tenant_id\":\"" + FakeAzure.TENANT + "\"}}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.body().get("id").asText();
    }

    private JsonNode azureValidation(String url) {
        return awaitValidation(azureKey(url)).path("validation");
    }

    private String createLocalKeyDisabledFirst(String kmsName) {
        assertThat(admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + kmsName + "\"}").status()).isEqualTo(201);
        assertThat(admin.post("/keyhold/v1/local-kms/keys/" + kmsName + "/disable", null).status()).isEqualTo(200);
        return admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"" + kmsName + "\"}}").body().get("id").asText();
    }

    // ---- cmk/v2 clusters ---------------------------------------------------------------------

    @Test
    void clusterRulesAndReleaseHold() {
        String key = validLocalKey(unique("cluster-key"));
        Api.Res c = admin.post("/cmk/v2/clusters", clusterBody("orders", env, "LOCAL", "local", key));
        assertThat(c.status()).as(c.toString()).isEqualTo(202);
        JsonNode cluster = c.body();
        assertPublished("cmk-v2.yaml", "cmk.v2.Cluster", cluster);
        String id = cluster.get("id").asText();
        assertThat(id).startsWith("lkc-");
        assertThat(c.header("Location")).contains("/cmk/v2/clusters/" + id);
        assertThat(cluster.path("status").path("phase").asText()).isEqualTo("PROVISIONING");
        assertThat(cluster.path("spec").path("byok").path("id").asText()).isEqualTo(key);
        assertThat(cluster.path("status").path("encryption").path("mode").asText()).isEqualTo("SELF_MANAGED");
        assertThat(cluster.path("status").path("encryption").path("provider").asText()).isEqualTo("Local");
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("IN_USE");

        Api.Res got = admin.get("/cmk/v2/clusters/" + id + "?environment=" + env);
        assertThat(got.status()).isEqualTo(200);
        assertPublished("cmk-v2.yaml", "cmk.v2.Cluster", got.body());
        assertError(admin.get("/cmk/v2/clusters/" + id), 400, "parameter_missing");
        assertError(admin.get("/cmk/v2/clusters"), 400, "parameter_missing");
        assertError(admin.delete("/cmk/v2/clusters/" + id), 400, "parameter_missing");
        assertError(admin.get("/cmk/v2/clusters/lkc-none?environment=" + env), 404, null);
        Api.Res list = admin.get("/cmk/v2/clusters?environment=" + env + "&page_size=100");
        assertPublished("cmk-v2.yaml", "cmk.v2.ClusterList", list.body());
        assertThat(list.body().path("data")).extracting(n -> n.path("id").asText()).contains(id);

        // one key per cluster
        assertError(admin.post("/cmk/v2/clusters", clusterBody("dup", env, "LOCAL", "local", key)), 409, "key_in_use");
        // the key can not be deleted while in use
        assertError(admin.delete("/byok/v1/keys/" + key), 409, "key_in_use");

        // another key is an online re-key, which needs a serving cluster (this one has no data plane);
        // the key stays free; the encryption mode is fixed
        String other = validLocalKey(unique("other"));
        JsonNode e = assertError(admin.patch("/cmk/v2/clusters/" + id, "{\"spec\":{\"environment\":{\"id\":\"" + env
                + "\"},\"byok\":{\"id\":\"" + other + "\"}}}"), 409, "cluster_not_ready");
        assertThat(e.path("detail").asText()).contains("PROVISIONING");
        assertThat(admin.get("/byok/v1/keys/" + other).body().path("state").asText()).isNotEqualTo("IN_USE");
        assertError(admin.patch("/cmk/v2/clusters/" + id, "{\"spec\":{\"environment\":{\"id\":\"" + env + "\"},\"byok\":null}}"),
                422, "invalid_configuration");
        assertError(admin.patch("/cmk/v2/clusters/" + id, "{\"spec\":{\"environment\":{\"id\":\"" + env
                + "\"},\"config\":{\"kind\":\"Dedicated\",\"cku\":2}}}"), 422, "invalid_configuration");
        assertError(admin.patch("/cmk/v2/clusters/" + id, "{\"spec\":{\"display_name\":\"x\"}}"), 422, "invalid_configuration");
        Api.Res renamed = admin.patch("/cmk/v2/clusters/" + id, "{\"spec\":{\"display_name\":\"orders-2\",\"environment\":{\"id\":\""
                + env + "\"},\"byok\":{\"id\":\"" + key + "\"}}}");
        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(renamed.body().path("spec").path("display_name").asText()).isEqualTo("orders-2");
        assertPublished("cmk-v2.yaml", "cmk.v2.Cluster", renamed.body());

        // delete the cluster: the key is held for 5 days
        assertThat(admin.delete("/cmk/v2/clusters/" + id + "?environment=" + env).status()).isEqualTo(204);
        assertError(admin.get("/cmk/v2/clusters/" + id + "?environment=" + env), 404, null);
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("IN_USE");
        JsonNode held = assertError(admin.delete("/byok/v1/keys/" + key), 409, "key_in_use");
        assertThat(held.path("detail").asText()).contains("held until");
        assertError(admin.post("/cmk/v2/clusters", clusterBody("again", env, "LOCAL", "local", key)), 409, "key_in_use");
        clock.advance(Duration.ofDays(5).minusMinutes(1));
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("IN_USE");
        clock.advance(Duration.ofMinutes(2));
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("AVAILABLE");
        assertThat(ids("/byok/v1/keys?state=AVAILABLE&page_size=100&display_name=cluster-key")).contains(key);
        Api.Res reuse = admin.post("/cmk/v2/clusters", clusterBody("reuse", env, "LOCAL", "local", key));
        assertThat(reuse.status()).as(reuse.toString()).isEqualTo(202);
        assertThat(admin.delete("/cmk/v2/clusters/" + reuse.body().get("id").asText() + "?environment=" + env).status()).isEqualTo(204);
        clock.advance(Duration.ofDays(6));
        assertThat(admin.delete("/byok/v1/keys/" + key).status()).isEqualTo(204);
    }

    @Test
    void clusterKeyMustBeValidSameRegionSameCloudAndExist() {
        String invalid = createAwsKey(unique("inv"), "us-west-2").body().get("id").asText();
        awaitValidation(invalid);
        JsonNode e = assertError(admin.post("/cmk/v2/clusters", clusterBody("c", env, "AWS", "us-west-2", invalid)), 422,
                "invalid_configuration");
        assertThat(e.path("detail").asText()).contains("INVALID");
        String local = validLocalKey(unique("reg"));
        e = assertError(admin.post("/cmk/v2/clusters", clusterBody("c", env, "LOCAL", "us-west-2", local)), 422, "invalid_configuration");
        assertThat(e.path("detail").asText()).contains("region");
        e = assertError(admin.post("/cmk/v2/clusters", clusterBody("c", env, "AWS", "local", local)), 422, "invalid_configuration");
        assertThat(e.path("source").path("pointer").asText()).isEqualTo("/spec/cloud");
        e = assertError(admin.post("/cmk/v2/clusters", clusterBody("c", env, "LOCAL", "local", "cck-nosuch")), 422, "invalid_configuration");
        assertThat(e.path("source").path("pointer").asText()).isEqualTo("/spec/byok/id");
        assertThat(admin.get("/byok/v1/keys/" + local).body().path("state").asText()).isEqualTo("AVAILABLE");

        // automatic encryption: no key
        Api.Res auto = admin.post("/cmk/v2/clusters", clusterBody(unique("auto"), env, "AWS", "us-east-1", null));
        assertThat(auto.status()).isEqualTo(202);
        assertThat(auto.body().path("status").path("encryption").path("mode").asText()).isEqualTo("AUTOMATIC");
        assertError(admin.patch("/cmk/v2/clusters/" + auto.body().get("id").asText(), "{\"spec\":{\"environment\":{\"id\":\"" + env
                + "\"},\"byok\":{\"id\":\"" + local + "\"}}}"), 422, "invalid_configuration");

        String[][] bad = {
                {"{}", "/spec"},
                {"{\"spec\":{\"display_name\":\"x\"}}", "/spec/environment/id"},
                {clusterBody("x", "env-nosuch", "AWS", "us-east-1", null), "/spec/environment/id"},
                {clusterBody("x", env, "IBM", "us-east-1", null), "/spec/cloud"},
                {clusterBody("x", env, "AWS", "us-east-1", null).replace("\"cku\":1", "\"cku\":\"one\""), "/spec/config/cku"},
                {clusterBody("x", env, "AWS", "us-east-1", null).replace("Dedicated", "Basic"), "/spec/config/kind"},
                {clusterBody("x", env, "AWS", "us-east-1", null).replace("SINGLE_ZONE", "EVERYWHERE"), "/spec/availability"},
        };
        for (String[] b : bad) {
            JsonNode err = assertError(admin.post("/cmk/v2/clusters", b[0]), 422, "invalid_configuration");
            assertThat(err.path("source").path("pointer").asText()).as(b[0]).isEqualTo(b[1]);
        }
        assertError(admin.post("/cmk/v2/clusters", "{nope"), 400, "malformed_request");
        assertError(admin.get("/cmk/v2/clusters?environment=" + env + "&spec.deletion_protection=maybe"), 400, "invalid_filter");
        assertError(admin.get("/cmk/v2/clusters?environment=" + env + "&colour=red"), 400, "invalid_filter");
        assertThat(admin.get("/cmk/v2/clusters?environment=" + env + "&spec.network=n-1").body().path("data").size()).isZero();
    }

    @Test
    void clusterListPagesAndIsScopedByEnvironment() {
        String e2 = createEnvironment(unique("paged"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(admin.post("/cmk/v2/clusters", clusterBody("c" + i, e2, "GCP", "us-central1", null)).body().get("id").asText());
        }
        List<String> seen = new ArrayList<>();
        String url = "/cmk/v2/clusters?environment=" + e2 + "&page_size=2";
        int pages = 0;
        while (url != null) {
            JsonNode page = admin.get(url).body();
            assertPublished("cmk-v2.yaml", "cmk.v2.ClusterList", page);
            assertThat(page.path("metadata").path("total_size").asInt()).isEqualTo(7);
            page.path("data").forEach(n -> seen.add(n.get("id").asText()));
            url = page.path("metadata").path("next").isNull() ? null : page.path("metadata").path("next").asText();
            pages++;
        }
        assertThat(pages).isEqualTo(4);
        assertThat(seen).containsExactlyElementsOf(ids);
        assertError(admin.get("/cmk/v2/clusters/" + ids.get(0) + "?environment=" + env), 404, null);
        // an environment with clusters can not be deleted
        assertError(admin.delete("/org/v2/environments/" + e2), 409, null);
        ids.forEach(id -> assertThat(admin.delete("/cmk/v2/clusters/" + id + "?environment=" + e2).status()).isEqualTo(204));
        assertThat(admin.delete("/org/v2/environments/" + e2).status()).isEqualTo(204);
    }

    // ---- org/v2 environments -----------------------------------------------------------------

    @Test
    void environments() {
        Api.Res list = admin.get("/org/v2/environments");
        assertThat(list.status()).isEqualTo(200);
        assertPublished("org-v2.yaml", "org.v2.EnvironmentList", list.body());
        assertThat(list.body().path("data")).extracting(n -> n.path("display_name").asText()).contains("default");

        String name = unique("staging");
        Api.Res c = admin.post("/org/v2/environments", "{\"display_name\":\"" + name + "\"}");
        assertThat(c.status()).isEqualTo(201);
        assertPublished("org-v2.yaml", "org.v2.Environment", c.body());
        String id = c.body().get("id").asText();
        assertThat(c.header("Location")).endsWith("/org/v2/environments/" + id);
        assertError(admin.post("/org/v2/environments", "{\"display_name\":\"" + name + "\"}"), 409, "resource_already_exists");
        assertError(admin.post("/org/v2/environments", "{}"), 422, "invalid_configuration");
        assertPublished("org-v2.yaml", "org.v2.Environment", admin.get("/org/v2/environments/" + id).body());
        Api.Res p = admin.patch("/org/v2/environments/" + id, "{\"display_name\":\"" + name + "-renamed\"}");
        assertThat(p.body().path("display_name").asText()).isEqualTo(name + "-renamed");
        assertThat(admin.delete("/org/v2/environments/" + id).status()).isEqualTo(204);
        assertError(admin.get("/org/v2/environments/" + id), 404, null);

        Api.Res orgs = admin.get("/org/v2/organizations");
        assertThat(orgs.body().path("data").get(0).path("id").asText()).isEqualTo(server.bootstrapOrganizationId());
        assertPublished("org-v2.yaml", "org.v2.Organization", orgs.body().path("data").get(0));
    }

    // ---- iam/v2 ------------------------------------------------------------------------------

    @Test
    void apiKeysShowTheSecretOnceAndRevokeAtOnce() {
        Api.Res sa = admin.post("/iam/v2/service-accounts", "{\"display_name\":\"" + unique("ci") + "\",\"description\":\"CI\"}");
        assertThat(sa.status()).isEqualTo(201);
        assertPublished("iam-v2.yaml", "iam.v2.ServiceAccount", sa.body());
        String saId = sa.body().get("id").asText();
        String saName = sa.body().get("display_name").asText();
        Api.Res byName = admin.get("/iam/v2/service-accounts?display_name=" + enc(saName) + "&display_name=nobody");
        assertPublished("iam-v2.yaml", "iam.v2.ServiceAccountList", byName.body());
        assertThat(byName.body().path("data")).extracting(n -> n.path("id").asText()).containsExactly(saId);
        assertThat(admin.get("/iam/v2/api-keys?spec.resource=lkc-1").body().path("data").size()).isZero();
        String org = server.bootstrapOrganizationId();
        Api.Res rb = admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"ReadOnly\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + org + "\"}");
        assertThat(rb.status()).as(rb.toString()).isEqualTo(201);
        assertKeyhold("iam.v2.RoleBinding", rb.body());
        assertError(admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"EnvironmentAdmin\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + org + "\"}"), 422, "invalid_configuration");
        assertError(admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"God\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + org + "\"}"), 422, "invalid_configuration");

        Api.Res k = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"ci key\",\"owner\":{\"id\":\"" + saId + "\"}}}");
        assertThat(k.status()).as(k.toString()).isEqualTo(202);
        assertKeyhold("iam.v2.ApiKey", k.body());
        String keyId = k.body().get("id").asText();
        String secret = k.body().path("spec").path("secret").asText();
        assertThat(secret).hasSize(64);
        Api user = admin.as(keyId, secret);
        assertThat(user.get("/byok/v1/keys").status()).isEqualTo(200);

        Api.Res got = admin.get("/iam/v2/api-keys/" + keyId);
        assertKeyhold("iam.v2.ApiKey", got.body());
        assertThat(got.body().path("spec").has("secret")).isFalse();
        Api.Res list = admin.get("/iam/v2/api-keys?spec.owner=" + saId);
        assertKeyhold("iam.v2.ApiKeyList", list.body());
        assertThat(list.body().path("data")).hasSize(1);
        assertThat(list.raw().body()).doesNotContain(secret);
        assertThat(admin.get("/iam/v2/api-keys?page_size=100").raw().body()).doesNotContain(secret).doesNotContain("pbkdf2");

        assertThat(admin.delete("/iam/v2/api-keys/" + keyId).status()).isEqualTo(204);
        assertError(user.get("/byok/v1/keys"), 401, "user_unauthenticated");
        assertError(admin.get("/iam/v2/api-keys/" + keyId), 404, null);
        assertError(admin.post("/iam/v2/api-keys", "{\"spec\":{\"owner\":{\"id\":\"sa-nobody\"}}}"), 422, "invalid_configuration");
        assertError(admin.post("/iam/v2/api-keys", "{\"spec\":{\"secret\":\"mine\"}}"), 422, "invalid_configuration");
        assertThat(admin.delete("/iam/v2/service-accounts/" + saId).status()).isEqualTo(204);
    }

    @Test
    void organizationsAreIsolated() throws Exception {
        Object[] b = secondOrganization();
        Api other = (Api) b[0];
        String otherEnv = (String) b[1];
        String tag = unique("iso");
        String mine = validLocalKey(tag);
        assertThat(other.get("/byok/v1/keys?display_name=" + enc(tag)).body().path("metadata").path("total_size").asInt()).isZero();
        assertError(other.get("/byok/v1/keys/" + mine), 404, null);
        assertError(other.patch("/byok/v1/keys/" + mine, "{\"display_name\":\"x\"}"), 404, null);
        assertError(other.delete("/byok/v1/keys/" + mine), 404, null);
        // a key of another organization can not encrypt this organization's cluster
        JsonNode e = assertError(other.post("/cmk/v2/clusters", clusterBody("c", otherEnv, "LOCAL", "local", mine)), 422,
                "invalid_configuration");
        assertThat(e.path("detail").asText()).contains("not found in this organization");
        assertError(other.get("/org/v2/environments/" + env), 404, null);
        assertError(other.get("/cmk/v2/clusters?environment=" + env), 404, null);
        assertError(other.post("/cmk/v2/clusters", clusterBody("c", env, "AWS", "us-east-1", null)), 422, "invalid_configuration");
        assertThat(other.get("/org/v2/environments").body().path("data")).extracting(n -> n.path("id").asText()).containsExactly(otherEnv);
        assertThat(other.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"x\"}}").status()).isEqualTo(201);
        assertThat(other.get("/service-quota/v1/applied-quotas?scope=ORGANIZATION").body().path("data").get(0).path("usage").asInt())
                .isEqualTo(1);
        assertThat(admin.get("/byok/v1/keys/" + mine).body().path("state").asText()).isEqualTo("AVAILABLE");
    }

    @Test
    void theRestOfTheIdentityAndLocalKmsEndpoints() {
        String org = server.bootstrapOrganizationId();
        Api.Res o = admin.get("/org/v2/organizations/" + org);
        assertPublished("org-v2.yaml", "org.v2.Organization", o.body());
        assertError(admin.get("/org/v2/organizations/" + java.util.UUID.randomUUID()), 404, null);

        String saId = admin.post("/iam/v2/service-accounts", "{\"display_name\":\"" + unique("rest") + "\"}").body().get("id").asText();
        assertPublished("iam-v2.yaml", "iam.v2.ServiceAccount", admin.get("/iam/v2/service-accounts/" + saId).body());
        assertPublished("iam-v2.yaml", "iam.v2.ServiceAccountList", admin.get("/iam/v2/service-accounts?page_size=2").body());
        Api.Res rb = admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"EnvironmentAdmin\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + org + "/environment=" + env + "\"}");
        assertThat(rb.status()).as(rb.toString()).isEqualTo(201);
        String rbId = rb.body().get("id").asText();
        assertKeyhold("iam.v2.RoleBinding", admin.get("/iam/v2/role-bindings/" + rbId).body());
        JsonNode bindings = admin.get("/iam/v2/role-bindings?principal=User:" + saId + "&role_name=EnvironmentAdmin").body();
        assertThat(bindings.path("data")).extracting(n -> n.path("id").asText()).containsExactly(rbId);
        assertThat(admin.delete("/iam/v2/role-bindings/" + rbId).status()).isEqualTo(204);
        assertError(admin.get("/iam/v2/role-bindings/" + rbId), 404, null);
        assertError(admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:sa-nobody\",\"role_name\":\"ReadOnly\","
                + "\"crn_pattern\":\"crn://keyhold/organization=" + org + "\"}"), 422, "invalid_configuration");

        Api.Res key = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"a\",\"owner\":{\"id\":\"" + saId + "\"}}}");
        String keyId = key.body().get("id").asText();
        Api.Res patched = admin.patch("/iam/v2/api-keys/" + keyId, "{\"spec\":{\"display_name\":\"b\",\"description\":\"rotated\"}}");
        assertThat(patched.body().path("spec").path("description").asText()).isEqualTo("rotated");
        assertKeyhold("iam.v2.ApiKey", patched.body());
        assertError(admin.patch("/iam/v2/api-keys/" + keyId, "{\"spec\":{\"owner\":{\"id\":\"x\"}}}"), 422, "invalid_configuration");
        // deleting the account takes its keys along
        assertThat(admin.delete("/iam/v2/service-accounts/" + saId).status()).isEqualTo(204);
        assertError(admin.get("/iam/v2/api-keys/" + keyId), 404, null);
        assertError(admin.get("/iam/v2/service-accounts/" + saId), 404, null);

        String name = unique("doomed");
        admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}");
        String path = "/keyhold/v1/local-kms/keys/" + name;
        assertError(admin.post(path + "/destroy", null), 409, "invalid_state");
        assertError(admin.post(path + "/schedule-deletion", "{\"waiting_period_days\":999}"), 422, "invalid_configuration");
        JsonNode scheduled = admin.post(path + "/schedule-deletion", "{\"waiting_period_days\":7}").body();
        assertKeyhold("keyhold.v1.LocalKmsKey", scheduled);
        assertThat(scheduled.path("state").asText()).isEqualTo("PENDING_DELETION");
        assertThat(scheduled.path("deletion_date").asText()).isNotBlank();
        assertThat(admin.post(path + "/cancel-deletion", null).body().path("state").asText()).isEqualTo("DISABLED");
        admin.post(path + "/schedule-deletion", "{}");
        assertThat(admin.post(path + "/destroy", null).body().path("state").asText()).isEqualTo("DESTROYED");
    }

    // ---- quotas and rate limits --------------------------------------------------------------

    @Test
    void byokKeyQuotaIsEnforcedAndListed() {
        Api.Res q = admin.get("/service-quota/v1/applied-quotas?scope=ORGANIZATION");
        assertThat(q.status()).isEqualTo(200);
        assertPublished("service-quota-v1.yaml", "service-quota.v1.AppliedQuotaList", q.body());
        JsonNode quota = q.body().path("data").get(0);
        assertThat(quota.path("id").asText()).isEqualTo("byok.max_keys.per_org");
        assertThat(quota.path("applied_limit").asInt()).isEqualTo(QUOTA);
        int usage = quota.path("usage").asInt();
        assertError(admin.get("/service-quota/v1/applied-quotas"), 400, "parameter_missing");
        assertError(admin.get("/service-quota/v1/applied-quotas?scope=GALAXY"), 400, "invalid_filter");

        String tag = unique("quota");
        List<String> made = new ArrayList<>();
        for (int i = usage; i < QUOTA; i++) {
            Api.Res r = createAwsKey(tag + i, "us-east-1");
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            made.add(r.body().get("id").asText());
        }
        JsonNode e = assertError(createAwsKey(tag + "-over", "us-east-1"), 402, "quota_exceeded");
        assertThat(e.path("detail").asText()).contains("byok.max_keys.per_org");
        JsonNode full = admin.get("/service-quota/v1/applied-quotas?scope=ORGANIZATION&id=byok.max_keys.per_org").body();
        assertThat(full.path("data").get(0).path("usage").asInt()).isEqualTo(QUOTA);
        assertPublished("service-quota-v1.yaml", "service-quota.v1.AppliedQuota",
                admin.get("/service-quota/v1/applied-quotas/byok.max_keys.per_org").body());
        made.forEach(id -> admin.delete("/byok/v1/keys/" + id));
        assertThat(createAwsKey(tag + "-after", "us-east-1").status()).isEqualTo(201);
    }

    @Test
    void rateLimitPerApiKey() {
        Api user = userWithRole("ReadOnly", null);
        Api.Res first = user.get("/org/v2/environments");
        assertThat(first.status()).isEqualTo(200);
        int remaining = Integer.parseInt(first.header("X-RateLimit-Remaining"));
        assertThat(remaining).isEqualTo(RATE_LIMIT - 1);
        // the cheapest authenticated call (a 404 that needs no database) uses up the budget quickly
        Api.Res last = first;
        for (int i = 0; i <= remaining && last.status() != 429; i++) {
            last = user.get("/org/v2/organizations/none");
            if (last.status() != 429) {
                assertThat(Integer.parseInt(last.header("X-RateLimit-Remaining"))).isEqualTo(remaining - 1 - i);
            }
        }
        JsonNode e = assertError(last, 429, "too_many_requests");
        assertThat(e).isNotNull();
        assertThat(Integer.parseInt(last.header("Retry-After"))).isBetween(1, 60);
        assertThat(last.header("X-RateLimit-Remaining")).isEqualTo("0");
        // other keys are not affected
        assertThat(admin.get("/org/v2/environments").status()).isEqualTo(200);
    }

    // ---- local KMS API -----------------------------------------------------------------------

    @Test
    void localKmsApi() {
        String name = unique("lk");
        Api.Res c = admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}");
        assertThat(c.status()).isEqualTo(201);
        assertKeyhold("keyhold.v1.LocalKmsKey", c.body());
        assertError(admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + name + "\"}"), 409, "resource_already_exists");
        assertThat(admin.post("/keyhold/v1/local-kms/keys/" + name + "/rotate", null).body().path("current_version").asText())
                .isEqualTo("2");
        assertThat(admin.post("/keyhold/v1/local-kms/keys/" + name + "/disable", null).body().path("state").asText()).isEqualTo("DISABLED");
        assertThat(admin.post("/keyhold/v1/local-kms/keys/" + name + "/enable", null).body().path("state").asText()).isEqualTo("ENABLED");
        assertThat(admin.get("/keyhold/v1/local-kms/keys?page_size=100").raw().body()).contains(name);
        assertError(admin.get("/keyhold/v1/local-kms/keys/" + unique("none")), 404, null);
        assertError(userWithRole("ReadOnly", null).post("/keyhold/v1/local-kms/keys", "{\"name\":\"x\"}"), 403, "user_unauthorized");
    }

    // ---- never a 500 -------------------------------------------------------------------------

    @Test
    void hostileInputNeverGivesA500() {
        String[] paths = {"/byok/v1/keys", "/byok/v1/keys/x", "/cmk/v2/clusters", "/cmk/v2/clusters/x?environment=" + env,
                "/org/v2/environments", "/org/v2/environments/x", "/iam/v2/api-keys", "/iam/v2/api-keys/x", "/iam/v2/service-accounts",
                "/iam/v2/role-bindings", "/keyhold/v1/local-kms/keys", "/nonexistent"};
        String[] bodies = {"{", "[]", "{\"spec\":[]}", "{\"spec\":{\"environment\":{\"id\":{\"$ne\":1}}}}", "{\"key\":{\"kind\":null}}",
                "{\"display_name\":\"\\u0000\"}", "{\"display_name\":\"" + "x".repeat(5000) + "\"}", "{\"name\":\"' OR 1=1 --\"}",
                "{\"spec\":{\"display_name\":1e309}}", "{\"a\":\"\\ud800\"}"};
        for (String path : paths) {
            for (String method : List.of("GET", "POST", "PATCH", "DELETE", "PUT")) {
                for (String body : method.equals("GET") || method.equals("DELETE") ? new String[] {null} : bodies) {
                    Api.Res r = admin.send(method, path, body);
                    assertThat(r.status()).as(method + " " + path + " " + body + " -> " + r).isBetween(200, 499);
                    if (r.status() >= 400) {
                        assertError(r, r.status(), null);
                    }
                }
            }
        }
        for (String q : List.of("%00", "a=%C0%AF", "page_size=-1", "page_size=99999999999", "page_token=%2F%2F%2F", "display_name=%F0%9F%94%91")) {
            Api.Res r = admin.get("/byok/v1/keys?" + q);
            assertThat(r.status()).as(q + " -> " + r).isBetween(200, 499);
        }
    }

    /** Requests Jetty rejects before any handler (malformed URI, oversized headers) still get the error format. */
    @Test
    void malformedHttpIsAnsweredInTheErrorFormat() throws Exception {
        java.net.URI base = java.net.URI.create(server.url());
        for (String request : List.of("GET /byok/v1/keys/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /byok/v1/keys HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")) {
            try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(response).startsWith("HTTP/1.1 4").contains("X-Request-Id: ").contains("application/json");
                JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
                assertPublished("byok-v1.yaml", "Failure", body);
                assertThat(body.path("errors").get(0).path("code").asText()).isEqualTo("malformed_request");
            }
        }
    }

    private List<String> ids(String url) {
        Api.Res r = admin.get(url);
        assertThat(r.status()).as(url + " -> " + r).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.body().path("data").forEach(n -> out.add(n.get("id").asText()));
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
