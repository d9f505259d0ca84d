package io.keyhold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KmsKeyCommandsTest {
    @TempDir
    Path dir;
    private Path passFile;

    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void passphrase() throws Exception {
        passFile = dir.resolve("pass");
        Files.writeString(passFile, "a long test passphrase\n");
    }

    private Run run(String... args) {
        CommandLine cl = KeyholdCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    private Run key(String... args) {
        List<String> a = new ArrayList<>(List.of("kms", "key"));
        a.addAll(List.of(args));
        a.addAll(List.of("--data-dir", dir.resolve("data").toString(), "--passphrase-file", passFile.toString()));
        return run(a.toArray(String[]::new));
    }

    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("server", "kms");
        Run version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("keyhold 0.");
        Run keyHelp = run("kms", "key", "--help");
        assertThat(keyHelp.out()).contains("create", "list", "describe", "rotate", "disable", "enable", "schedule-deletion", "cancel-deletion", "destroy");
    }

    @Test
    void lifecycleThroughTheCli() throws Exception {
        Run created = key("create", "orders");
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).contains("Name", "orders", "enabled", "Current Version");

        assertThat(key("rotate", "orders").out()).containsPattern("Current Version\\s+2");
        assertThat(key("disable", "orders", "-o", "yaml").out()).contains("state: \"disabled\"");
        assertThat(key("enable", "orders", "-o", "json").out()).contains("\"state\" : \"enabled\"");
        key("create", "payments");

        JsonNode list = new ObjectMapper().readTree(key("list", "-o", "json").out());
        assertThat(list.isArray()).isTrue();
        assertThat(list).extracting(n -> n.get("name").asText()).containsExactly("orders", "payments");

        assertThat(key("list").out()).contains("Name", "State", "orders", "payments");

        Run sched = key("schedule-deletion", "payments", "--waiting-days", "7");
        assertThat(sched.out()).contains("pending-deletion");
        assertThat(key("cancel-deletion", "payments").out()).contains("disabled");
        key("schedule-deletion", "payments");
        assertThat(key("destroy", "payments", "--force").out()).contains("destroyed");
        assertThat(key("describe", "payments", "-o", "json").out()).contains("\"state\" : \"destroyed\"");
    }

    @Test
    void errorsSayWhatIsWrongAndUseStableExitCodes() throws Exception {
        key("create", "k");
        Run dup = key("create", "k");
        assertThat(dup.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(dup.err()).startsWith("Error: a key named 'k' already exists");

        Run missing = key("describe", "nope");
        assertThat(missing.exit()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("no local key named 'nope'");

        Run badState = key("destroy", "k", "--force");
        assertThat(badState.exit()).isEqualTo(ExitCodes.CONFLICT);
        assertThat(badState.err()).contains("cannot destroy local key 'k': it is enabled");

        Run badOption = key("create");
        assertThat(badOption.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(badOption.err()).contains("Missing required parameter", "--help");

        Run badDays = key("schedule-deletion", "k", "--waiting-days", "0");
        assertThat(badDays.exit()).isEqualTo(ExitCodes.USAGE);

        Files.writeString(passFile, "a different passphrase\n");
        Run wrong = key("list");
        assertThat(wrong.exit()).isEqualTo(ExitCodes.ACCESS);
        assertThat(wrong.err()).contains("wrong passphrase");
        assertThat(wrong.err()).doesNotContain("a different passphrase");
    }
}
