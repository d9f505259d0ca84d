package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.support.Api;
import io.keyhold.server.support.CloudKmsFakes;
import io.keyhold.server.support.MutableClock;
import io.keyhold.server.support.Schemas;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Starts one real server (real HTTP on 127.0.0.1, a free port) per test class on the database a
 * subclass chooses, and offers the helpers every API test uses. Tests talk to it only through HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ApiTestBase {
    protected static final String BOOT_KEY = "TESTBOOTSTRAPKEY";
    protected static final String BOOT_SECRET = "testBootstrapSecret0123456789abcdefABCDEF";
    protected static final int QUOTA = 100;
    /** High enough that the whole suite's admin traffic fits in one window; the rate-limit test exhausts a key of its own. */
    protected static final int RATE_LIMIT = 3000;
    private static final AtomicInteger NAMES = new AtomicInteger();

    protected MutableClock clock;
    protected KeyholdServer server;
    protected Api admin;
    protected String env;
    protected Path dataDir;
    protected String openApi;
    /** AWS KMS and Azure Key Vault as the real providers see them: wire-level fakes on 127.0.0.1. */
    protected CloudKmsFakes cloud;

    /** Points the configuration at the database under test. */
    protected abstract ServerConfig.Builder database(ServerConfig.Builder b) throws Exception;

    /** A throw-away PostgreSQL server, when the subclass chose one with {@link #onPostgres}. */
    private io.keyhold.server.support.PostgresCluster pg;

    /** For {@link #database}: a fresh PostgreSQL server for this class, stopped after it. */
    protected ServerConfig.Builder onPostgres(ServerConfig.Builder b) throws Exception {
        pg = io.keyhold.server.support.PostgresCluster.start();
        pg.createDatabase("keyhold");
        return b.databaseUrl(pg.jdbcUrl("keyhold")).databaseUser(pg.user());
    }

    protected void stopDatabase() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    /** A direct connection to the server's database, only to set up what the API cannot: a second organization. */
    protected java.sql.Connection jdbc() throws java.sql.SQLException {
        if (pg != null) {
            return java.sql.DriverManager.getConnection(pg.jdbcUrl("keyhold"), pg.user(), "");
        }
        return java.sql.DriverManager.getConnection(io.keyhold.server.internal.db.Database.embeddedUrl(dataDir));
    }

    /**
     * A second organization with its own environment and OrganizationAdmin key; returns [client, environment id].
     * Its key has the hash an earlier version stored (PBKDF2), as in a database that version created.
     */
    protected Object[] secondOrganization() throws Exception {
        String org = java.util.UUID.randomUUID().toString();
        String key = "ORGB" + Long.toString(System.nanoTime(), 36).toUpperCase(java.util.Locale.ROOT);
        String secret = io.keyhold.server.support.LegacyHashes.OTHER_SECRET;
        long now = clock.millis();
        String envId;
        try (java.sql.Connection c = jdbc()) {
            io.keyhold.server.internal.iam.Accounts.insertOrganization(c, org, "Other", now);
            envId = io.keyhold.server.internal.iam.Accounts.insertEnvironment(c, org, "default", now);
            String sa = io.keyhold.server.internal.iam.Accounts.insertServiceAccount(c, org, "admin", "", now);
            io.keyhold.server.internal.iam.Accounts.insertRoleBinding(c, org, sa,
                    io.keyhold.server.internal.auth.Role.OrganizationAdmin, null, now);
            io.keyhold.server.internal.iam.Accounts.insertHashedApiKey(c, key, org, sa, "k", "", io.keyhold.server.support.LegacyHashes.OTHER_HASH,
                    now);
        }
        return new Object[] {admin.as(key, secret), envId};
    }

    /** The server's {@code kms.*} settings: the cloud fakes'; a subclass adds a KMS of its own. */
    protected java.util.Map<String, String> kmsSettings() {
        return new java.util.HashMap<>(cloud.kmsSettings());
    }

    @BeforeAll
    void startServer() throws Exception {
        cloud = CloudKmsFakes.start();
        dataDir = Files.createTempDirectory("keyhold-api-test");
        clock = new MutableClock(Instant.now());
        ServerConfig.Builder b = ServerConfig.builder().dataDir(dataDir).httpPort(0).bind("127.0.0.1")
                .bootstrapCredentials(BOOT_KEY, BOOT_SECRET).clock(clock).maxKeysPerOrg(QUOTA).rateLimit(RATE_LIMIT)
                .validationInterval(Duration.ofMillis(200)).awsRoles(java.util.List.of("arn:aws:iam::000000000000:role/keyhold"))
                .kmsSettings(kmsSettings()).printBootstrapSecret(false);
        server = KeyholdServer.start(database(b).build());
        admin = new Api(server.url(), BOOT_KEY, BOOT_SECRET);
        env = server.bootstrapEnvironmentId();
        openApi = admin.get("/openapi.yaml").raw().body();
    }

    @AfterAll
    void stopServer() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            cloud.close();
            stopDatabase();
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** A name no other test uses. */
    protected static String unique(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100000, 36);
    }

    /** The ARN of key {@code id} in the AWS fake's account: one the fake does not have unless it made that id. */
    protected static String awsArn(String region, String id) {
        return "arn:aws:kms:" + region + ":111122223333:key/" + id;
    }

    protected Api.Res createAwsKey(String name, String region) {
        String id = java.util.UUID.randomUUID().toString();
        return admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"" + awsArn(region, id) + "\"},"
                + "\"display_name\":\"" + name + "\"}");
    }

    /** Creates a key in this server's local KMS and registers it; returns the byok key id (not yet validated). */
    protected String createLocalKey(Api api, String kmsName, String displayName) {
        Api.Res kms = admin.post("/keyhold/v1/local-kms/keys", "{\"name\":\"" + kmsName + "\"}");
        assertThat(kms.status()).as(kms.toString()).isEqualTo(201);
        Api.Res r = api.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"" + kmsName + "\"},\"display_name\":\""
                + displayName + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.body().get("id").asText();
    }

    protected String validLocalKey(String displayName) {
        String id = createLocalKey(admin, unique("kms"), displayName);
        assertThat(awaitValidation(id).path("validation").path("phase").asText()).isEqualTo("VALID");
        return id;
    }

    /** Polls until the background validator has decided. */
    protected JsonNode awaitValidation(String keyId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Api.Res r = admin.get("/byok/v1/keys/" + keyId);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
            if (!r.body().path("validation").path("phase").asText().equals("INITIALIZING")) {
                return r.body();
            }
            sleep(50);
        }
        return fail("key " + keyId + " stayed INITIALIZING");
    }

    /** A service account with one role binding and an API key: returns a client authenticated as it. */
    protected Api userWithRole(String role, String environmentOrNull) {
        Api.Res sa = admin.post("/iam/v2/service-accounts", "{\"display_name\":\"" + unique("sa-" + role) + "\"}");
        assertThat(sa.status()).as(sa.toString()).isEqualTo(201);
        String saId = sa.body().get("id").asText();
        if (role != null) {
            String org = server.bootstrapOrganizationId();
            String crn = "crn://keyhold/organization=" + org + (environmentOrNull == null ? "" : "/environment=" + environmentOrNull);
            Api.Res rb = admin.post("/iam/v2/role-bindings", "{\"principal\":\"User:" + saId + "\",\"role_name\":\"" + role
                    + "\",\"crn_pattern\":\"" + crn + "\"}");
            assertThat(rb.status()).as(rb.toString()).isEqualTo(201);
        }
        Api.Res key = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"k\",\"owner\":{\"id\":\"" + saId + "\"}}}");
        assertThat(key.status()).as(key.toString()).isEqualTo(202);
        return admin.as(key.body().get("id").asText(), key.body().path("spec").path("secret").asText());
    }

    protected String createEnvironment(String name) {
        Api.Res r = admin.post("/org/v2/environments", "{\"display_name\":\"" + name + "\"}");
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.body().get("id").asText();
    }

    protected static String clusterBody(String name, String env, String cloud, String region, String byokId) {
        return "{\"spec\":{\"display_name\":\"" + name + "\",\"availability\":\"SINGLE_ZONE\",\"cloud\":\"" + cloud + "\",\"region\":\""
                + region + "\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\"" + env + "\"}"
                + (byokId == null ? "" : ",\"byok\":{\"id\":\"" + byokId + "\"}") + "}}";
    }

    /** Asserts an error in the contract's format: status, code, the request id, and the published Failure schema. */
    protected static JsonNode assertError(Api.Res r, int status, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.body()).as("error body of " + r).isNotNull();
        assertPublished("byok-v1.yaml", "Failure", r.body());
        JsonNode e = r.body().path("errors").path(0);
        assertThat(e.path("status").asText()).isEqualTo(Integer.toString(status));
        if (code != null) {
            assertThat(e.path("code").asText()).as(r.toString()).isEqualTo(code);
        }
        assertThat(e.path("id").asText()).isEqualTo(r.header("X-Request-Id"));
        assertThat(e.path("title").asText()).isNotBlank();
        assertThat(e.path("detail").asText()).isNotBlank();
        // no Java exception (a class name, a stack frame); a KMS's own error code (AWS's NotFoundException) is the customer's clue
        assertThat(r.raw().body()).doesNotContainPattern("[a-z]\\w*(\\.[a-z]\\w*)+\\.[A-Z]\\w*(Exception|Error)").doesNotContain("\tat ");
        return e;
    }

    protected static void assertPublished(String file, String schema, JsonNode json) {
        Set<String> errors = Schemas.published(file, schema, json);
        assertThat(errors).as(schema + " from " + file + " for " + json).isEmpty();
    }

    protected void assertKeyhold(String schema, JsonNode json) {
        Set<String> errors = Schemas.keyhold(openApi, schema, json);
        assertThat(errors).as(schema + " from /openapi.yaml for " + json).isEmpty();
    }

    /** A key: cloud kinds against the published schema; Keyhold's kinds against Keyhold's, and the rest of it against the published one. */
    protected void assertKeySchema(JsonNode key) {
        if (java.util.Set.of("LocalKey", "Pkcs11Key", "VaultKey", "KmipKey").contains(key.path("key").path("kind").asText())) {
            assertKeyhold("byok.v1.Key", key);
            com.fasterxml.jackson.databind.node.ObjectNode rest = key.deepCopy();
            rest.remove("key");
            assertPublished("byok-v1.yaml", "byok.v1.Key", rest);
        } else {
            assertPublished("byok-v1.yaml", "byok.v1.Key", key);
        }
    }

    protected static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
