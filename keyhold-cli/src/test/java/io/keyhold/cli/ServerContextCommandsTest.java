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
    /** A second organization's API secret, stored as earlier versions stored secrets (PBKDF2); the server accepts and rehashes it. */
    private static final String ORG_B_SECRET = "second-org-secret-legacy-0123456789abcdef";
    private static final String ORG_B_HASH = "pbkdf2-sha512$210000$azw0uAeTN+Ln4VWAI2VSSA$"
            + "89XHRX9tRwoCdDPGQoEGQeCYczpZivnz/ivkiXOq7KlI64+CgT4M9MFmUKNq83vxDb4RdymSmwwi4hVzCGrVHw";

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

    @Test
    void throughTheServerEachOrganizationSeesOnlyItsOwnLocalKeysWhileTheStoreNamesThemByOrganization() throws Exception {
        Path data = tmp.resolve("shared-server");
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(data).httpPort(0)
                .bootstrapCredentials("ORGAKEY", "org-a-secret").printBootstrapSecret(false).build())) {
            String orgB = java.util.UUID.randomUUID().toString();
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(io.keyhold.server.internal.db.Database.embeddedUrl(data))) {
                long now = System.currentTimeMillis();
                io.keyhold.server.internal.iam.Accounts.insertOrganization(c, orgB, "B", now);
                String sa = io.keyhold.server.internal.iam.Accounts.insertServiceAccount(c, orgB, "admin", "", now);
                io.keyhold.server.internal.iam.Accounts.insertRoleBinding(c, orgB, sa,
                        io.keyhold.server.internal.auth.Role.OrganizationAdmin, null, now);
                io.keyhold.server.internal.iam.Accounts.insertHashedApiKey(c, "ORGBKEY", orgB, sa, "k", "",
                        ORG_B_HASH, now);
            }
            Map<String, String> asA = Map.of("HOME", tmp.resolve("home-a").toString(), "KEYHOLD_URL", server.url(),
                    "KEYHOLD_API_KEY", "ORGAKEY", "KEYHOLD_API_SECRET", "org-a-secret");
            Map<String, String> asB = Map.of("HOME", tmp.resolve("home-b").toString(), "KEYHOLD_URL", server.url(),
                    "KEYHOLD_API_KEY", "ORGBKEY", "KEYHOLD_API_SECRET", ORG_B_SECRET);

            ClientCommands.useEnvironment(asA);
            assertThat(run("kms", "key", "create", "orders")[0]).isEqualTo("0");
            ClientCommands.useEnvironment(asB);
            assertThat(run("kms", "key", "list")[1]).doesNotContain("orders");
            assertThat(run("kms", "key", "describe", "orders")[0]).isEqualTo(Integer.toString(ExitCodes.NOT_FOUND));
            assertThat(run("kms", "key", "disable", "orders")[0]).isEqualTo(Integer.toString(ExitCodes.NOT_FOUND));
            String[] own = run("kms", "key", "create", "orders", "-o", "json");
            assertThat(own[0]).as(own[2]).isEqualTo("0");
            assertThat(own[1]).contains("\"name\" : \"orders\"");
            ClientCommands.useEnvironment(asA);
            assertThat(run("kms", "key", "describe", "orders", "-o", "json")[1]).contains("\"state\" : \"enabled\"");

            // the operator with the store files sees the whole store, each organization's keys under its id
            String[] store = run("kms", "key", "list", "--data-dir", data.toString());
            assertThat(store[0]).as(store[2]).isEqualTo("0");
            assertThat(store[1]).contains(server.bootstrapOrganizationId() + "/orders").contains(orgB + "/orders");
            assertThat(run("kms", "key", "create", orgB + "/from-operator", "--data-dir", data.toString())[0]).isEqualTo("0");
            ClientCommands.useEnvironment(asB);
            assertThat(run("kms", "key", "list")[1]).contains("from-operator").doesNotContain(orgB + "/");
        } finally {
            ClientCommands.useEnvironment(System.getenv());
        }
    }
}
