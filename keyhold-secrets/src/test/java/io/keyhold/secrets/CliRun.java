package io.keyhold.secrets;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;

/** Runs `secret ...` in-process with a given environment and standard input. */
record CliRun(int exitCode, String out, String err) {
    static CliRun runWithStdin(Map<String, String> env, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        SecretCommand command = new SecretCommand(env::get,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        CommandLine cli = new CommandLine(command).setExpandAtFiles(false);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    static CliRun run(Map<String, String> env, String... args) {
        return runWithStdin(env, "", args);
    }

    /** The master key printed by `master-key generate` or `file rotate --master-key`. */
    String masterKey() {
        for (String line : out.split("\n")) {
            if (line.startsWith("Master Key: ")) {
                return line.substring("Master Key: ".length()).trim();
            }
        }
        throw new AssertionError("no master key in output: " + out + err);
    }
}
