package io.keyhold.secrets;

import io.keyhold.secrets.internal.Environment;
import io.keyhold.secrets.internal.cli.FileCommand;
import io.keyhold.secrets.internal.cli.MasterKeyCommand;
import io.keyhold.secrets.internal.cli.SecretsContext;
import java.io.InputStream;
import java.util.function.Function;
import picocli.CommandLine.Command;

/**
 * {@code keyhold secret ...}: Confluent-compatible encryption of passwords in config files.
 * Register it as a subcommand of any picocli command. The top-level {@code CommandLine} must call
 * {@code setExpandAtFiles(false)}: {@code --passphrase @file} names a passphrase file, which
 * picocli would otherwise expand into arguments.
 */
@Command(name = "secret",
        description = "Encrypt passwords in Kafka config files (compatible with Confluent's `confluent secret`).",
        mixinStandardHelpOptions = true,
        subcommands = {MasterKeyCommand.class, FileCommand.class})
public final class SecretCommand implements SecretsContext, Runnable {
    private final Environment environment;
    private final InputStream stdin;

    /** Reads master keys from the process environment and passphrases from {@code System.in}. */
    public SecretCommand() {
        this(Environment.system(), System.in);
    }

    /**
     * For embedding and tests: where master keys come from (environment variable name to value)
     * and where {@code --passphrase -} reads.
     */
    public SecretCommand(Function<String, String> environment, InputStream stdin) {
        this.environment = environment::apply;
        this.stdin = stdin;
    }

    /** Internal: read by the subcommands. */
    @Override
    public Environment environment() {
        return environment;
    }

    @Override
    public InputStream stdin() {
        return stdin;
    }

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "Missing subcommand: use `secret master-key generate` or `secret file <encrypt|decrypt|add|update|remove|rotate>`.");
    }
}
