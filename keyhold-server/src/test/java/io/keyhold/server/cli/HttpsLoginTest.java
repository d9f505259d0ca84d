package io.keyhold.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.support.TestCertificates;
import io.keyhold.server.support.TestCertificates.Pem;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The CLI against an HTTPS server with a self-signed certificate: refused until that certificate is given as --ca-file. */
class HttpsLoginTest {
    private static final String KEY = "CLIHTTPSBOOTKEY1";
    private static final String SECRET = "cliHttpsSecret0123456789abcdefghijABCDEFGH";

    @TempDir
    Path tmp;

    @Command(name = "keyhold")
    static final class Root {
    }

    private static String[] run(String... args) {
        CommandLine cl = new CommandLine(new Root());
        ClientCommands.all().forEach(cl::addSubcommand);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void loginWithTheServersCertificateAsCaFile() throws Exception {
        Pem pem = TestCertificates.ecPkcs8(tmp.resolve("pki"), "server");
        Map<String, String> env = new HashMap<>(Map.of("HOME", tmp.resolve("home").toString()));
        ClientCommands.useEnvironment(env);
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp.resolve("data")).httpPort(0).bind("127.0.0.1")
                .bootstrapCredentials(KEY, SECRET).printBootstrapSecret(false).tls(pem.cert(), pem.key()).build())) {
            String[] untrusted = run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET);
            assertThat(untrusted[0]).isEqualTo("1");
            assertThat(untrusted[2]).contains("not trusted").contains("--ca-file").doesNotContain(SECRET);

            String[] login = run("login", "--url", server.url(), "--api-key", KEY, "--api-secret", SECRET, "--ca-file", pem.cert().toString());
            assertThat(login[0]).as(login[2]).isEqualTo("0");
            JsonNode saved = new ObjectMapper().readTree(Files.readString(tmp.resolve("home/.keyhold/config")));
            assertThat(saved.path("ca_file").asText()).isEqualTo(pem.cert().toAbsolutePath().toString());

            String[] list = run("environment", "list", "-o", "json");
            assertThat(list[0]).as(list[2]).isEqualTo("0");
            assertThat(list[1]).contains("default");
        } finally {
            ClientCommands.useEnvironment(System.getenv());
        }
    }
}
