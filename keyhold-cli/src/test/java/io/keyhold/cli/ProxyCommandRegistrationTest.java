package io.keyhold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** `keyhold proxy` and `keyhold kafka verify-at-rest` are reachable from the main entry point; they are tested in keyhold-proxy. */
class ProxyCommandRegistrationTest {
    @Test
    void proxyAndVerifyAtRestAreRegistered() {
        CommandLine cl = KeyholdCli.commandLine();
        assertThat(cl.getSubcommands()).containsKeys("proxy", "kafka");
        assertThat(cl.getSubcommands().get("kafka").getSubcommands()).containsKey("verify-at-rest");
    }

    @Test
    void verifyAtRestWithoutArgumentsIsAUsageError() {
        CommandLine cl = KeyholdCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertThat(cl.execute("kafka", "verify-at-rest")).isNotZero();
        assertThat(err.toString()).contains("--log-dir");
    }
}
