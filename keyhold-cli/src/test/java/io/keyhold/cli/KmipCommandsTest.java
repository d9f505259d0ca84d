package io.keyhold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code keyhold kmip ...} in-process against a real pykmip-server. */
class KmipCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private static PyKmipServer server;
    private static Map<String, String> settings;

    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void start() {
        server = PyKmipServer.start(dir.resolve("pykmip"));
        settings = server.settings("hsm", PyKmipServer.KEYHOLD_USER);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static Run run(String... args) {
        CommandLine cl = KeyholdCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    /** A kmip command with the connection given as flags, JSON output. */
    private static JsonNode kmip(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("kmip"));
        a.addAll(List.of(args));
        a.addAll(List.of("--server", "hsm", "--address", settings.get("hsm.address"), "--client-cert", settings.get("hsm.client-cert"),
                "--client-key", settings.get("hsm.client-key"), "--ca", settings.get("hsm.ca"), "-o", "json"));
        Run r = run(a.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void createActivateLocateRevokeDestroy() throws Exception {
        String name = "cli-" + System.nanoTime();
        JsonNode created = kmip("create", "--name", name);
        String uid = created.get("unique_identifier").asText();
        assertThat(created.get("state").asText()).isEqualTo("Pre-Active");
        assertThat(created.get("key_reference").asText()).isEqualTo("hsm/name:" + name);
        assertThat(kmip("activate", uid).get("state").asText()).isEqualTo("Active");
        JsonNode located = kmip("locate", name).get("objects");
        assertThat(located).hasSize(1);
        assertThat(located.get(0).get("unique_identifier").asText()).isEqualTo(uid);
        assertThat(kmip("revoke", uid).get("state").asText()).isEqualTo("Deactivated");
        assertThat(kmip("destroy", uid, "--force").get("destroyed").asBoolean()).isTrue();
        assertThat(kmip("locate", name).get("objects")).isEmpty();
    }

    @Test
    void readsTheServersYamlAndRevokesForCompromise() throws Exception {
        Path yaml = dir.resolve("server.yaml");
        Files.writeString(yaml, String.join("\n", "kms:", "  kmip:", "    hsm:",
                "      address: \"" + settings.get("hsm.address") + "\"",
                "      client-cert: \"" + settings.get("hsm.client-cert") + "\"",
                "      client-key: \"" + settings.get("hsm.client-key") + "\"",
                "      ca: \"" + settings.get("hsm.ca") + "\"", ""));
        Run created = run("kmip", "create", "--activate", "--config", yaml.toString(), "--server", "hsm", "-o", "json");
        assertThat(created.exit()).as(created.err()).isZero();
        JsonNode key = JSON.readTree(created.out());
        String uid = key.get("unique_identifier").asText();
        assertThat(key.get("state").asText()).isEqualTo("Active");
        assertThat(key.get("key_reference").asText()).isEqualTo("hsm/" + uid);
        Run revoked = run("kmip", "revoke", uid, "--compromised", "--config", yaml.toString(), "--server", "hsm", "-o", "json");
        assertThat(JSON.readTree(revoked.out()).get("state").asText()).isEqualTo("Compromised");
    }

    @Test
    void anUnknownObjectIsNotFoundAndAnUnconfiguredServerAUsageError() {
        Run unknown = run("kmip", "activate", "999999", "--server", "hsm", "--address", settings.get("hsm.address"), "--client-cert",
                settings.get("hsm.client-cert"), "--client-key", settings.get("hsm.client-key"), "--ca", settings.get("hsm.ca"));
        assertThat(unknown.exit()).as(unknown.err()).isEqualTo(ExitCodes.NOT_FOUND);
        Run unconfigured = run("kmip", "locate", "x", "--server", "elsewhere");
        assertThat(unconfigured.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unconfigured.err()).contains("kms.kmip.elsewhere.address");
    }
}
