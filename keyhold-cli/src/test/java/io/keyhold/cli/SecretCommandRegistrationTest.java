package io.keyhold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `keyhold secret ...` is reachable from the main entry point; its commands are tested in keyhold-secrets. */
class SecretCommandRegistrationTest {
    @TempDir
    Path dir;

    @Test
    void masterKeyGenerateReadsAPassphraseFileThroughTheMainCommandLine() throws Exception {
        Path passphrase = dir.resolve("passphrase.txt");
        Files.writeString(passphrase, "two words\n");
        Path secrets = dir.resolve("secrets.properties");
        CommandLine cl = KeyholdCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));

        int exit = cl.execute("secret", "master-key", "generate", "--local-secrets-file", secrets.toString(),
                "--passphrase", "@" + passphrase);

        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Save the master key. It cannot be retrieved later.").containsPattern("Master Key: [A-Za-z0-9+/]{43}=");
        assertThat(Files.readString(secrets)).contains("_metadata.master_key.0.salt = ");
    }

    @Test
    void secretErrorsUseTheDocumentedExitCodes() {
        CommandLine cl = KeyholdCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));

        int exit = cl.execute("secret", "file", "decrypt", "--config-file", dir.resolve("missing.properties").toString(),
                "--local-secrets-file", dir.resolve("s.properties").toString(), "--output-file", dir.resolve("o").toString());

        assertThat(exit).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(err.toString()).startsWith("Error: invalid config file path");
    }
}
