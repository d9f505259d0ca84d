package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.support.Api;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The audit trail and rotation through the API, on a real server and database: what is recorded
 * (KMS calls with outcome, version and latency; lifecycle events with their principal), who may read
 * it, that an organization sees only its own, filters, paging, newest first, and that it can not
 * be changed through the API.
 */
abstract class AuditTrailSuite extends ApiTestBase {

    @Test
    void validationRotationAndTheirKmsCallsAreRecordedWithWhoDidIt() {
        String key = validLocalKey(unique("audited"));
        String bootstrapSa = admin.get("/iam/v2/api-keys/" + BOOT_KEY).body().path("spec").path("owner").path("id").asText();

        JsonNode validated = awaitEvent("event_type=KEY_VALIDATED&key=" + key, e -> true);
        assertThat(validated.path("principal").asText()).isEqualTo("system");
        assertThat(validated.path("provider").asText()).isEqualTo("local");
        assertThat(validated.path("process").asText()).startsWith("server@").contains(":" + ProcessHandle.current().pid());
        // the validator's KMS calls name the KMS key; the trail finds the key object (and so the organization) for them
        JsonNode access = awaitEvent("event_type=KMS_CALL&key=" + key, e -> e.path("operation").asText().equals("checkAccess"));
        assertThat(access.path("outcome").asText()).isEqualTo("ok");
        assertThat(access.path("kms_key").asText()).startsWith(server.bootstrapOrganizationId() + "/");
        assertThat(access.path("latency_ms").asLong()).isGreaterThanOrEqualTo(0);
        JsonNode describe = awaitEvent("event_type=KMS_CALL&key=" + key, e -> e.path("operation").asText().equals("describe"));
        assertThat(describe.path("key_version").asText()).isEqualTo("1");

        JsonNode before = admin.get("/byok/v1/keys/" + key).body();
        assertThat(before.path("current_version").asText()).isEqualTo("1");
        assertThat(before.path("last_rotated_at").isNull()).isTrue();
        assertKeySchema(before);

        Api.Res rotated = admin.post("/byok/v1/keys/" + key + "/rotate", null);
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
        assertThat(rotated.body().path("current_version").asText()).isEqualTo("2");
        assertThat(Instant.parse(rotated.body().path("last_rotated_at").asText())).isEqualTo(Instant.ofEpochMilli(clock.millis()));
        assertKeySchema(rotated.body());
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("current_version").asText()).isEqualTo("2");

        JsonNode event = awaitEvent("event_type=KEY_ROTATED&key=" + key, e -> true);
        assertThat(event.path("principal").asText()).isEqualTo(bootstrapSa);
        assertThat(event.path("key_version").asText()).isEqualTo("2");
        assertThat(event.path("message").asText()).contains("version 1 -> 2").contains(BOOT_KEY);
        JsonNode rotateCall = awaitEvent("event_type=KMS_CALL&key=" + key, e -> e.path("operation").asText().equals("rotate"));
        assertThat(rotateCall.path("outcome").asText()).isEqualTo("ok");
        assertThat(rotateCall.path("key_version").asText()).isEqualTo("2");

        // newest first: the rotation comes before the validation
        List<String> types = new ArrayList<>();
        admin.get("/audit/v1/events?page_size=100&key=" + key).body().path("data").forEach(e -> types.add(e.path("event_type").asText()));
        assertThat(types.indexOf("KEY_ROTATED")).isLessThan(types.indexOf("KEY_VALIDATED"));
        // what was written is counted where operators scrape
        String metrics = admin.get("/metrics").raw().body();
        assertThat(metrics).contains("keyhold_audit_dropped_total 0.0");
        assertThat(metrics.lines().filter(l -> l.startsWith("keyhold_audit_events_total ")).findFirst().orElseThrow())
                .doesNotEndWith(" 0.0");
        // no key material in any event: nothing but identifiers and words
        assertThat(admin.get("/audit/v1/events?page_size=100&key=" + key).raw().body()).doesNotContainIgnoringCase("edek")
                .doesNotContain("\"dek\"");
    }

    @Test
    void aKeyThatIsNotValidIsNotRotatedAndAKmsRefusalIsRecordedAsDenied() {
        String kmsName = unique("gone");
        String key = createLocalKey(admin, kmsName, unique("disabled"));
        assertThat(awaitValidation(key).path("validation").path("phase").asText()).isEqualTo("VALID");
        assertThat(admin.post("/keyhold/v1/local-kms/keys/" + kmsName + "/disable", null).status()).isEqualTo(200);
        Api.Res refused = admin.post("/byok/v1/keys/" + key + "/rotate", null);
        assertError(refused, 409, "kms_denied");
        JsonNode denied = awaitEvent("event_type=KMS_CALL&key=" + key, e -> e.path("operation").asText().equals("rotate"));
        assertThat(denied.path("outcome").asText()).isEqualTo("denied");
        assertThat(denied.path("message").asText()).startsWith("DISABLED");
        assertThat(admin.get("/audit/v1/events?event_type=KEY_ROTATED&key=" + key).body().path("metadata").path("total_size").asLong())
                .isZero();

        String pending = createAwsKey(unique("never-valid"), "us-west-2").body().get("id").asText();
        assertError(admin.post("/byok/v1/keys/" + pending + "/rotate", null), 409, "key_not_valid");
        assertError(userWithRole("ReadOnly", null).post("/byok/v1/keys/" + key + "/rotate", null), 403, null);
        assertError(admin.post("/byok/v1/keys/cck-nosuchkey/rotate", null), 404, null);
    }

    @Test
    void apiKeysRoleBindingsAndKeyDeletionAreRecordedWithTheirPrincipal() {
        Api reader = userWithRole("ReadOnly", null); // creates a service account, a role binding and an API key
        String key = validLocalKey(unique("to-delete"));
        assertThat(admin.delete("/byok/v1/keys/" + key).status()).isEqualTo(204);
        JsonNode deleted = awaitEvent("event_type=KEY_DELETED&key=" + key, e -> true);
        assertThat(deleted.path("message").asText()).contains(BOOT_KEY);
        assertThat(awaitEvent("event_type=ROLE_BINDING_CREATED", e -> e.path("message").asText().contains("ReadOnly")))
                .isNotNull();
        JsonNode created = awaitEvent("event_type=API_KEY_CREATED", e -> true);
        String apiKey = created.path("message").asText().split(" ")[2];
        assertThat(admin.delete("/iam/v2/api-keys/" + apiKey).status()).isEqualTo(204);
        JsonNode gone = awaitEvent("event_type=API_KEY_DELETED", e -> e.path("message").asText().contains(apiKey));
        String principal = gone.path("principal").asText();
        assertThat(principal).startsWith("sa-");
        assertThat(admin.get("/audit/v1/events?principal=" + principal + "&event_type=API_KEY_DELETED").body().path("data"))
                .allSatisfy(e -> assertThat(e.path("principal").asText()).isEqualTo(principal));
        assertThat(reader.get("/audit/v1/events").status()).as("the deleted key was the reader's").isEqualTo(401);
    }

    @Test
    void onlyOrganizationAdminsAndReadOnlyReadTheTrailAndOnlyTheirOrganizations() throws Exception {
        String key = validLocalKey(unique("mine"));
        awaitEvent("key=" + key, e -> true);
        assertThat(userWithRole("ReadOnly", null).get("/audit/v1/events?key=" + key).body().path("metadata").path("total_size").asLong())
                .isPositive();
        assertError(userWithRole("EnvironmentAdmin", env).get("/audit/v1/events"), 403, null);
        assertError(userWithRole(null, null).get("/audit/v1/events"), 403, null);
        assertError(admin.anonymous().get("/audit/v1/events"), 401, null);

        Api other = (Api) secondOrganization()[0];
        Api.Res theirs = other.get("/audit/v1/events?page_size=100");
        assertThat(theirs.status()).as(theirs.toString()).isEqualTo(200);
        assertThat(theirs.body().path("data")).noneSatisfy(e -> assertThat(e.path("key").asText()).isEqualTo(key));
        assertThat(other.get("/audit/v1/events?key=" + key).body().path("metadata").path("total_size").asLong()).isZero();
        String kmsName = unique("theirs");
        assertThat(other.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + kmsName + "\"}").status()).isEqualTo(201);
        Api.Res registered = other.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"" + kmsName + "\"}}");
        assertThat(registered.status()).as(registered.toString()).isEqualTo(201);
        String otherKey = registered.body().get("id").asText();
        awaitEvent(other, "event_type=KEY_VALIDATED&key=" + otherKey, e -> true);
        assertThat(admin.get("/audit/v1/events?key=" + otherKey).body().path("metadata").path("total_size").asLong()).isZero();
    }

    @Test
    void filtersArePagedNewestFirstAndBadOnesAreRefused() {
        String since = Instant.now().minusSeconds(1).toString();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Api.Res k = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"paged\"}}");
            assertThat(k.status()).as(k.toString()).isEqualTo(202);
            ids.add(k.body().get("id").asText());
            sleep(5);
        }
        String query = "event_type=API_KEY_CREATED&since=" + enc(since);
        awaitEvent(query, e -> e.path("message").asText().contains(ids.get(2)));
        Api.Res page1 = admin.get("/audit/v1/events?page_size=2&" + query);
        assertThat(page1.status()).as(page1.toString()).isEqualTo(200);
        assertThat(page1.body().path("api_version").asText()).isEqualTo("audit/v1");
        assertThat(page1.body().path("kind").asText()).isEqualTo("AuditEventList");
        assertKeyhold("audit.v1.EventList", page1.body());
        JsonNode meta = page1.body().path("metadata");
        assertThat(meta.path("total_size").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(page1.body().path("data").get(0).path("message").asText()).contains(ids.get(2)); // newest first
        assertThat(meta.path("next").asText()).contains("page_token=").contains("event_type=API_KEY_CREATED");
        Api.Res page2 = admin.get(meta.path("next").asText());
        assertThat(page2.status()).isEqualTo(200);
        assertThat(page2.body().path("data").get(0).path("message").asText()).doesNotContain(ids.get(2)).doesNotContain(ids.get(1));
        String until = Instant.now().minus(Duration.ofDays(1)).toString();
        assertThat(admin.get("/audit/v1/events?event_type=API_KEY_CREATED&until=" + enc(until)).body().path("metadata")
                .path("total_size").asLong()).isZero();

        assertError(admin.get("/audit/v1/events?event_type=NOT_A_TYPE"), 400, "invalid_filter");
        assertError(admin.get("/audit/v1/events?since=yesterday"), 400, "invalid_filter");
        assertError(admin.get("/audit/v1/events?since=" + enc(since) + "&until=" + enc(until)), 400, "invalid_filter");
        assertError(admin.get("/audit/v1/events?actor=me"), 400, "invalid_filter");
        assertError(admin.get("/audit/v1/events?page_size=0"), 400, "invalid_filter");
        assertError(admin.get("/audit/v1/events?page_token=forged"), 400, "invalid_filter");
    }

    @Test
    void theTrailCanNotBeChangedThroughTheApi() {
        for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
            Api.Res r = admin.send(method, "/audit/v1/events", "{}");
            assertThat(r.status()).as(method + " " + r).isIn(404, 405);
            Api.Res one = admin.send(method, "/audit/v1/events/1", "{}");
            assertThat(one.status()).as(method + " " + one).isIn(404, 405);
        }
    }

    private JsonNode awaitEvent(String query, Predicate<JsonNode> match) {
        return awaitEvent(admin, query, match);
    }

    /** Polls {@code GET /audit/v1/events?query} until an event matches (the store writes asynchronously). */
    private static JsonNode awaitEvent(Api api, String query, Predicate<JsonNode> match) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Api.Res last = null;
        while (System.nanoTime() < deadline) {
            last = api.get("/audit/v1/events?page_size=100&" + query);
            assertThat(last.status()).as(last.toString()).isEqualTo(200);
            for (JsonNode e : last.body().path("data")) {
                if (match.test(e)) {
                    assertThat(e.path("api_version").asText()).isEqualTo("audit/v1");
                    assertThat(e.path("kind").asText()).isEqualTo("AuditEvent");
                    assertThat(Instant.parse(e.path("time").asText())).isBefore(Instant.now().plusSeconds(1));
                    return e;
                }
            }
            sleep(100);
        }
        throw new AssertionError("no audit event for " + query + " within 20 s; last answer: " + last);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
