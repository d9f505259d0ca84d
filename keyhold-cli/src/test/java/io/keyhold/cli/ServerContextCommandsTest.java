package io.keyhold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.cli.ClientCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `keyhold` registers the server and API commands, and `kms key` goes through the server when a context is configured. */
class ServerContextCommandsTest {
    @TempDir
    Path tmp;

    private static String[] run(String... args) {
        CommandLine cl = KeyholdCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void helpListsTheApiCommands() {
        assertThat(run("--help")[1]).contains("server", "login", "byok", "kafka", "environment", "api-key", "service-quota");
    }

    /** Refused before anything listens; 192.0.2.10 (a documentation address) is not on this machine either way. */
    @Test
    void serverRefusesPlainHttpOnANonLoopbackAddressSayingWhatToDo() {
        String[] r = run("server", "--bind", "192.0.2.10", "--http-port", "0", "--data-dir", tmp.resolve("server").toString());
        assertThat(r[0]).isEqualTo(Integer.toString(ExitCodes.USAGE));
        assertThat(r[2]).startsWith("Error: refusing to serve the API over plain HTTP on 192.0.2.10")
                .contains("--tls-cert-file").contains("--insecure-http").doesNotContain("\tat ");
    }

    @Test
    void kmsKeyCommandsUseTheServerWhenAContextIsConfigured() {
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp.resolve("server")).httpPort(0)
                .bootstrapCredentials("CTXKEY", "context-secret").printBootstrapSecret(false).build())) {
            ClientCommands.useEnvironment(Map.of("HOME", tmp.resolve("home").toString(), "KEYHOLD_URL", server.url(),
                    "KEYHOLD_API_KEY", "CTXKEY", "KEYHOLD_API_SECRET", "context-secret"));
            String[] created = run("kms", "key", "create", "via-server", "-o", "json");
            assertThat(created[0]).as(created[2]).isEqualTo("0");
            assertThat(run("byok", "create", "via-server", "--local", "-o", "json")[0]).isEqualTo("0");
            assertThat(run("kms", "key", "list")[1]).contains("via-server");
            // with --data-dir the store is opened directly: a different, empty one here
            String[] local = run("kms", "key", "list", "--data-dir", tmp.resolve("elsewhere").toString());
            assertThat(local[0]).as(local[2]).isEqualTo("0");
            assertThat(local[1]).doesNotContain("via-server");
            String[] missing = run("kms", "key", "describe", "nope");
            assertThat(missing[0]).isEqualTo(Integer.toString(ExitCodes.NOT_FOUND));
        } finally {
            ClientCommands.useEnvironment(System.getenv());
        }
    }
}
