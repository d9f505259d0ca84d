package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.local.LocalKeyScope;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.server.internal.auth.Role;
import io.keyhold.server.internal.db.Database;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.iam.Accounts;
import io.keyhold.server.support.Api;
import io.keyhold.server.support.CloudKmsFakes;
import io.keyhold.server.support.LegacyHashes;
import io.keyhold.server.support.MutableClock;
import io.keyhold.server.support.PostgresCluster;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server of the release before tenant scopes (schema version 1, local keys without scope, two
 * key objects of different organizations on one KMS key) is upgraded: everything that worked keeps
 * working, the unscoped local keys are the first organization's, and the duplicates can no longer
 * get a new cluster.
 */
class UpgradeToTenantScopesTest {
    @TempDir
    Path data;

    @Test
    void onH2() throws Exception {
        upgrade(Database.embeddedUrl(data), "", ServerConfig.builder());
    }

    @Test
    void onPostgres() throws Exception {
        try (PostgresCluster pg = PostgresCluster.start()) {
            pg.createDatabase("keyhold");
            upgrade(pg.jdbcUrl("keyhold"), pg.user(), ServerConfig.builder().databaseUrl(pg.jdbcUrl("keyhold")).databaseUser(pg.user()));
        }
    }

    /** Keys of earlier releases keep working after the upgrade, and duplicates are found. */
    private void upgrade(String url, String user, ServerConfig.Builder database) throws Exception {
        try (CloudKmsFakes cloud = CloudKmsFakes.start()) {
            upgrade(url, user, database.kmsSettings(cloud.kmsSettings()), cloud.aws().createKeyIn("us-west-2"));
        }
    }

    /** {@code arn}: a key in the AWS fake that the server's aws provider reaches. */
    private void upgrade(String url, String user, ServerConfig.Builder database, String arn) throws Exception {
        long t0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        Flyway.configure().dataSource(url, user, "").locations("classpath:db/migration").target("1").load().migrate();
        String orgA = UUID.randomUUID().toString();
        String orgB = UUID.randomUUID().toString();
        String envA;
        String envB;
        try (Connection c = DriverManager.getConnection(url, user, "")) {
            envA = organization(c, orgA, "FIRSTORGKEY00001", LegacyHashes.BOOTSTRAP_HASH, t0);
            envB = organization(c, orgB, "OTHERORGKEY00001", LegacyHashes.OTHER_HASH, t0 + 1000);
            key(c, "cck-legacy", 1, orgA, "LocalKey", "Local", "legacy", "local", "lkc-legacy", t0 + 2000);
            cluster(c, "lkc-legacy", orgA, envA, "cck-legacy", "LOCAL", "local", t0 + 2000);
            key(c, "cck-first", 2, orgA, "AwsKey", "AWS", arn, "us-west-2", null, t0 + 3000);
            key(c, "cck-second", 1, orgB, "AwsKey", "AWS", arn, "us-west-2", "lkc-b", t0 + 4000);
            cluster(c, "lkc-b", orgB, envB, "cck-second", "AWS", "us-west-2", t0 + 4000);
            key(c, "cck-third", 3, orgA, "AwsKey", "AWS", arn, "us-west-2", null, t0 + 5000);
        }
        try (LocalKms store = LocalKms.open(LocalKmsOptions.of(data, null))) {
            store.create("legacy");
            store.create("idle-legacy");
            store.create(LocalKeyScope.unscopedAutomaticKeyName("lkc-old"));
        }

        MutableClock clock = new MutableClock(Instant.ofEpochMilli(t0 + 10_000));
        try (KeyholdServer server = KeyholdServer.start(database.dataDir(data).httpPort(0).bind("127.0.0.1").clock(clock)
                .validationInterval(Duration.ofMillis(100)).printBootstrapSecret(false).build())) {
            Api a = new Api(server.url(), "FIRSTORGKEY00001", LegacyHashes.BOOTSTRAP_SECRET);
            Api b = a.as("OTHERORGKEY00001", LegacyHashes.OTHER_SECRET);

            // the later duplicate that no cluster uses is INVALID and names the key object registered first
            JsonNode third = a.get("/byok/v1/keys/cck-third").body();
            assertThat(third.path("validation").path("phase").asText()).isEqualTo("INVALID");
            assertThat(third.path("validation").path("message").asText()).contains("'cck-first'");
            // the one a cluster already uses keeps its cluster
            assertThat(b.get("/byok/v1/keys/cck-second").body().path("state").asText()).isEqualTo("IN_USE");
            assertThat(b.get("/cmk/v2/clusters/lkc-b?environment=" + envB).status()).isEqualTo(200);
            // the first one can still encrypt a cluster
            assertThat(a.post("/cmk/v2/clusters", ApiTestBase.clusterBody("new", envA, "AWS", "us-west-2", "cck-first")).status())
                    .isEqualTo(202);

            // unscoped local keys are the first organization's, under their names; the automatic one is nobody's to see
            String listA = a.get("/keyhold/v1/local-kms/keys?page_size=100").raw().body();
            assertThat(listA).contains("\"legacy\"").contains("\"idle-legacy\"").doesNotContain("keyhold-auto-");
            assertThat(b.get("/keyhold/v1/local-kms/keys?page_size=100").raw().body()).doesNotContain("legacy");
            assertThat(b.get("/keyhold/v1/local-kms/keys/legacy").status()).isEqualTo(404);
            assertThat(a.post("/keyhold/v1/local-kms/keys/idle-legacy/rotate", null).body().path("current_version").asText())
                    .isEqualTo("2");
            String idle = a.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"idle-legacy\"}}").body().get("id").asText();
            assertThat(awaitPhase(a, idle)).isEqualTo("VALID");
            String borrowed = b.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"idle-legacy\"}}").body().get("id")
                    .asText();
            assertThat(awaitPhase(b, borrowed)).isEqualTo("INVALID");
            // the unscoped key in use is still held by its key object
            JsonNode dup = a.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"legacy\"}}").body();
            assertThat(dup.path("errors").path(0).path("detail").asText()).contains("'cck-legacy'");

            // once its cluster is gone and the hold is over, the duplicate can not encrypt another cluster
            assertThat(b.delete("/cmk/v2/clusters/lkc-b?environment=" + envB).status()).isEqualTo(204);
            clock.advance(Duration.ofDays(6));
            Api.Res again = b.post("/cmk/v2/clusters", ApiTestBase.clusterBody("again", envB, "AWS", "us-west-2", "cck-second"));
            assertThat(again.status()).as(again.toString()).isEqualTo(409);
            assertThat(again.body().path("errors").path(0).path("detail").asText()).contains("can not see").doesNotContain("cck-first");
        }
    }

    private static String awaitPhase(Api api, String keyId) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            String phase = api.get("/byok/v1/keys/" + keyId).body().path("validation").path("phase").asText();
            if (!phase.equals("INITIALIZING")) {
                return phase;
            }
            Thread.sleep(50);
        }
        return "INITIALIZING";
    }

    /** An organization with its environment and an OrganizationAdmin key {@code apiKey}, its secret stored as schema 1 stored it. */
    private static String organization(Connection c, String orgId, String apiKey, String legacyHash, long now) throws Exception {
        Accounts.insertOrganization(c, orgId, orgId, now);
        String env = Accounts.insertEnvironment(c, orgId, "default", now);
        String sa = Accounts.insertServiceAccount(c, orgId, "admin", "", now);
        Accounts.insertRoleBinding(c, orgId, sa, Role.OrganizationAdmin, null, now);
        Accounts.insertHashedApiKey(c, apiKey, orgId, sa, "k", "", legacyHash, now);
        return env;
    }

    /** A VALID key row as schema version 1 had them. */
    private static void key(Connection c, String id, long seq, String orgId, String kind, String provider, String ident, String region,
                            String clusterId, long now) throws Exception {
        String json = kind.equals("AwsKey") ? "{\"kind\":\"AwsKey\",\"key_arn\":\"" + ident + "\"}"
                : "{\"kind\":\"" + kind + "\",\"key_id\":\"" + ident + "\"}";
        Sql.update(c, "INSERT INTO byok_keys (id, seq, org_id, display_name, kind, provider, key_ident, key_json, region, validation_phase, "
                        + "validation_since, validation_message, cluster_id, hold_until, created_at, updated_at) "
                        + "VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, 'VALID', ?, 'The key is valid.', ?, NULL, ?, ?)",
                id, seq, orgId, kind, provider, ident, json, region, now, clusterId, now, now);
    }

    private static void cluster(Connection c, String id, String orgId, String envId, String keyId, String cloud, String region, long now)
            throws Exception {
        Sql.update(c, "INSERT INTO clusters (id, seq, org_id, environment_id, display_name, availability, cloud, region, config_json, "
                        + "byok_key_id, phase, phase_message, bootstrap, created_at, updated_at) "
                        + "VALUES (?, 1, ?, ?, ?, 'SINGLE_ZONE', ?, ?, '{\"kind\":\"Dedicated\",\"cku\":1}', ?, 'PROVISIONED', NULL, NULL, ?, ?)",
                id, orgId, envId, id, cloud, region, keyId, now, now);
    }
}
