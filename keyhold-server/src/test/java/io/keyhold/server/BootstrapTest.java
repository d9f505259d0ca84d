package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.server.support.Api;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** First start bootstraps once: credentials printed once and saved owner-only; a restart keeps them. */
class BootstrapTest {
    @TempDir
    Path tmp;

    @Test
    void generatedCredentialsArePrintedOnceAndSavedOwnerOnly() throws Exception {
        Path data = tmp.resolve("data");
        ServerConfig config = ServerConfig.builder().dataDir(data).httpPort(0).build();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        JsonNode creds;
        try (KeyholdServer server = KeyholdServer.start(config, new PrintStream(printed, true, StandardCharsets.UTF_8))) {
            Path file = data.resolve("bootstrap-credentials.json");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            creds = new ObjectMapper().readTree(file.toFile());
            assertThat(printed.toString(StandardCharsets.UTF_8)).contains(creds.path("api_key").asText())
                    .contains(creds.path("api_secret").asText());
            Api api = new Api(server.url(), creds.path("api_key").asText(), creds.path("api_secret").asText());
            JsonNode envs = api.get("/org/v2/environments").body();
            assertThat(envs.path("data").get(0).path("display_name").asText()).isEqualTo("default");
            assertThat(envs.path("data").get(0).path("id").asText()).isEqualTo(creds.path("environment_id").asText());
        }
        // the database is never left with the plain secret
        try (var files = Files.walk(data.resolve("db"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).doesNotContain(creds.path("api_secret").asText());
            }
        }
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        try (KeyholdServer server = KeyholdServer.start(config, new PrintStream(again, true, StandardCharsets.UTF_8))) {
            assertThat(again.toString(StandardCharsets.UTF_8)).doesNotContain(creds.path("api_secret").asText());
            assertThat(server.bootstrapApiKey()).isNull();
            Api api = new Api(server.url(), creds.path("api_key").asText(), creds.path("api_secret").asText());
            assertThat(api.get("/byok/v1/keys").status()).isEqualTo(200);
        }
    }

    @Test
    void givenCredentialsAreUsedAndNothingIsWritten() {
        Path data = tmp.resolve("data2");
        ServerConfig config = ServerConfig.builder().dataDir(data).httpPort(0).bootstrapCredentials("MYKEY", "my-secret-value").build();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (KeyholdServer server = KeyholdServer.start(config, new PrintStream(printed, true, StandardCharsets.UTF_8))) {
            assertThat(Files.exists(data.resolve("bootstrap-credentials.json"))).isFalse();
            assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("my-secret-value");
            assertThat(new Api(server.url(), "MYKEY", "my-secret-value").get("/byok/v1/keys").status()).isEqualTo(200);
        }
    }
}
