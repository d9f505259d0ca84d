package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.support.Api;
import io.keyhold.server.support.LegacyDatabase;
import io.keyhold.server.support.LegacyHashes;
import io.keyhold.server.support.MutableClock;
import io.keyhold.server.support.RawHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failed logins are limited per client address and per API key id before the secret is looked at:
 * the 11th wrong secret in a minute is a 429 with Retry-After, and so is the right secret, until the
 * window has passed. Clients at other addresses (127.0.0.2, ... on the loopback network) show which
 * budget refused.
 */
class FailedLoginLimitTest {
    private static final String KEY = "LIMITBOOTKEY0001";
    private static final String SECRET = "limitTestSecret0123456789abcdefABCDEF0123";

    @TempDir
    Path tmp;

    private KeyholdServer start(ServerConfig.Builder b) {
        return KeyholdServer.start(b.dataDir(tmp.resolve("data")).httpPort(0).bind("127.0.0.1").printBootstrapSecret(false).build());
    }

    /** An earlier version's database, so that the test can see whether the (PBKDF2) hash was checked: checking it rehashes it. */
    @Test
    void overTheLimitEvenTheRightSecretIsRefusedWithoutCheckingIt() throws Exception {
        Path data = tmp.resolve("data");
        LegacyDatabase.create(data, KEY);
        MutableClock clock = new MutableClock(Instant.now());
        try (KeyholdServer server = start(ServerConfig.builder().clock(clock))) {
            Api wrong = new Api(server.url(), KEY, "wrong-secret");
            for (int i = 1; i <= 10; i++) {
                Api.Res r = wrong.get("/org/v2/environments");
                ApiTestBase.assertError(r, 401, "user_unauthenticated");
                assertThat(r.header("X-RateLimit-Limit")).isEqualTo("10");
                assertThat(r.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(10 - i));
            }
            Api.Res limited = wrong.get("/org/v2/environments");
            JsonNode e = ApiTestBase.assertError(limited, 429, "too_many_requests");
            assertThat(e.path("detail").asText()).contains("failed logins");
            assertThat(Integer.parseInt(limited.header("Retry-After"))).isBetween(1, 60);

            Api right = new Api(server.url(), KEY, LegacyHashes.BOOTSTRAP_SECRET);
            ApiTestBase.assertError(right.get("/org/v2/environments"), 429, "too_many_requests");
            assertThat(LegacyDatabase.storedHash(data, KEY)).as("the hash was not even checked").isEqualTo(LegacyHashes.BOOTSTRAP_HASH);

            clock.advance(Duration.ofSeconds(61));
            assertThat(right.get("/org/v2/environments").status()).isEqualTo(200);
            assertThat(LegacyDatabase.storedHash(data, KEY)).startsWith("hmac-sha256$");
        }
    }

    @Test
    void theClientAddressAndTheKeyIdHaveBudgetsOfTheirOwn() {
        try (KeyholdServer server = start(ServerConfig.builder().bootstrapCredentials(KEY, SECRET))) {
            String url = server.url();
            String path = "/org/v2/environments";
            String right = RawHttp.basic(KEY, SECRET);
            Api.Res created = new Api(url, KEY, SECRET).post("/iam/v2/api-keys", "{\"spec\":{\"display_name\":\"victim\"}}");
            assertThat(created.status()).as(created.toString()).isEqualTo(202);
            String victim = created.body().get("id").asText();
            String victimSecret = created.body().path("spec").path("secret").asText();
            // 127.0.0.1 guesses ten different key ids: its address budget is spent, no key's is
            for (int i = 0; i < 10; i++) {
                assertThat(RawHttp.get("127.0.0.1", url, path, RawHttp.basic("GUESS" + i, "x")).status()).isEqualTo(401);
            }
            RawHttp.Response blocked = RawHttp.get("127.0.0.1", url, path, right);
            assertThat(blocked.status()).as(blocked.toString()).isEqualTo(429);
            assertThat(blocked.header("Retry-After")).isNotBlank();
            assertThat(RawHttp.get("127.0.0.2", url, path, right).status()).as("another address").isEqualTo(200);

            // one key id guessed from two addresses, five times each: that key's budget is spent, not the addresses'
            for (int i = 0; i < 10; i++) {
                assertThat(RawHttp.get(i % 2 == 0 ? "127.0.0.2" : "127.0.0.3", url, path, RawHttp.basic(victim, "guess" + i)).status())
                        .isEqualTo(401);
            }
            assertThat(RawHttp.get("127.0.0.4", url, path, RawHttp.basic(victim, victimSecret)).status()).as("that key, anywhere")
                    .isEqualTo(429);
            assertThat(RawHttp.get("127.0.0.2", url, path, right).status()).as("another key from a guessing address").isEqualTo(200);
        }
    }

    @Test
    void parallelGuessesCannotGetPastTheLimit() throws Exception {
        try (KeyholdServer server = start(ServerConfig.builder().bootstrapCredentials(KEY, SECRET))) {
            Api wrong = new Api(server.url(), KEY, "wrong");
            ExecutorService pool = Executors.newFixedThreadPool(20);
            try {
                List<CompletableFuture<Integer>> all = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    all.add(CompletableFuture.supplyAsync(() -> wrong.get("/org/v2/environments").status(), pool));
                }
                List<Integer> statuses = all.stream().map(CompletableFuture::join).toList();
                assertThat(statuses.stream().filter(s -> s == 401).count()).as(statuses.toString()).isEqualTo(10);
                assertThat(statuses.stream().filter(s -> s == 429).count()).as(statuses.toString()).isEqualTo(30);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void successfulLoginsDoNotCountAndTheLimitIsConfigurable() {
        try (KeyholdServer server = start(ServerConfig.builder().bootstrapCredentials(KEY, SECRET).failedLoginLimit(3)
                .failedLoginWindow(Duration.ofMinutes(5)))) {
            Api right = new Api(server.url(), KEY, SECRET);
            for (int i = 0; i < 20; i++) {
                assertThat(right.get("/org/v2/environments").status()).isEqualTo(200);
            }
            Api wrong = right.as(KEY, "wrong");
            for (int i = 0; i < 3; i++) {
                assertThat(wrong.get("/org/v2/environments").status()).isEqualTo(401);
            }
            Api.Res limited = right.get("/org/v2/environments");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(Integer.parseInt(limited.header("Retry-After"))).isBetween(240, 300);
        }
    }
}
