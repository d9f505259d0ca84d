package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.support.Api;
import io.keyhold.server.support.LegacyDatabase;
import io.keyhold.server.support.LegacyHashes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API secrets are stored as HMAC-SHA-256 with a server key: a wrong secret costs what an unknown key
 * id costs (no slow hash, no timing oracle on key ids); keys of databases created by earlier
 * versions (PBKDF2) keep working and are rehashed on their first successful login.
 */
class ApiSecretStorageTest {
    private static final String KEY = "STORAGEBOOTKEY01";

    @TempDir
    Path tmp;

    private ServerConfig.Builder config(Path data) {
        return ServerConfig.builder().dataDir(data).httpPort(0).bind("127.0.0.1").printBootstrapSecret(false);
    }

    @Test
    void keysOfAnEarlierVersionsDatabaseKeepWorkingAndAreRehashedOnce() throws Exception {
        Path data = tmp.resolve("data");
        LegacyDatabase.create(data, KEY);
        String newKey;
        String newSecret;
        try (KeyholdServer server = KeyholdServer.start(config(data).build())) {
            assertThat(server.bootstrapApiKey()).as("an existing database is not bootstrapped again").isNull();
            Api admin = new Api(server.url(), KEY, LegacyHashes.BOOTSTRAP_SECRET);
            assertThat(admin.as(KEY, "wrong").get("/org/v2/environments").status()).isEqualTo(401);
            assertThat(LegacyDatabase.storedHash(data, KEY)).isEqualTo(LegacyHashes.BOOTSTRAP_HASH);
            assertThat(admin.get("/org/v2/environments").status()).isEqualTo(200);
            String rehashed = LegacyDatabase.storedHash(data, KEY);
            assertThat(rehashed).startsWith("hmac-sha256$v1$").doesNotContain(LegacyHashes.BOOTSTRAP_SECRET);
            assertThat(admin.get("/org/v2/environments").status()).isEqualTo(200);
            assertThat(LegacyDatabase.storedHash(data, KEY)).as("rehashed once").isEqualTo(rehashed);
            assertThat(admin.as(KEY, "wrong").get("/org/v2/environments").status()).isEqualTo(401);

            Api.Res created = admin.post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"new\"}}");
            assertThat(created.status()).as(created.toString()).isEqualTo(202);
            newKey = created.body().get("id").asText();
            newSecret = created.body().path("spec").path("secret").asText();
            assertThat(LegacyDatabase.storedHash(data, newKey)).startsWith("hmac-sha256$v1$");
        }
        // the server key is in the database: a restart (or another server on it) accepts the same secrets
        try (KeyholdServer server = KeyholdServer.start(config(data).build())) {
            Api admin = new Api(server.url(), KEY, LegacyHashes.BOOTSTRAP_SECRET);
            assertThat(admin.get("/org/v2/environments").status()).isEqualTo(200);
            assertThat(admin.as(newKey, newSecret).get("/org/v2/environments").status()).isEqualTo(200);
            assertThat(admin.as(newKey, newSecret + "x").get("/org/v2/environments").status()).isEqualTo(401);
        }
        try (var files = Files.walk(data.resolve("db"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).doesNotContain(newSecret)
                        .doesNotContain(LegacyHashes.BOOTSTRAP_SECRET);
            }
        }
    }

    /**
     * Medians over alternating requests, so that load on the machine hits both alike. With a slow hash
     * a wrong secret took 0.2 to 0.6 s and an unknown key id a few milliseconds.
     */
    @Test
    void aWrongSecretIsAsCheapAsAnUnknownKeyId() {
        try (KeyholdServer server = KeyholdServer.start(config(tmp.resolve("data")).bootstrapCredentials(KEY,
                "storageTestSecret0123456789abcdefABCDEF01").failedLoginLimit(1_000).build())) {
            Api wrongSecret = new Api(server.url(), KEY, "wrong-secret-0123456789");
            Api unknownKey = new Api(server.url(), "NOSUCHKEY0000000", "wrong-secret-0123456789");
            for (int i = 0; i < 20; i++) { // warm up both paths
                wrongSecret.get("/org/v2/environments");
                unknownKey.get("/org/v2/environments");
            }
            List<Long> wrong = new ArrayList<>();
            List<Long> unknown = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                wrong.add(timeOf401(wrongSecret));
                unknown.add(timeOf401(unknownKey));
            }
            double wrongMs = median(wrong) / 1e6;
            double unknownMs = median(unknown) / 1e6;
            System.out.printf("median time of a 401: wrong secret %.2f ms, unknown key id %.2f ms%n", wrongMs, unknownMs);
            assertThat(wrongMs).as("a wrong secret costs no slow hash").isLessThan(25);
            assertThat(Math.abs(wrongMs - unknownMs)).as("wrong secret %.2f ms vs unknown key %.2f ms", wrongMs, unknownMs).isLessThan(3);
        }
    }

    private static long timeOf401(Api api) {
        long t0 = System.nanoTime();
        Api.Res r = api.get("/org/v2/environments");
        long t = System.nanoTime() - t0;
        assertThat(r.status()).isEqualTo(401);
        return t;
    }

    private static double median(List<Long> xs) {
        List<Long> sorted = xs.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
