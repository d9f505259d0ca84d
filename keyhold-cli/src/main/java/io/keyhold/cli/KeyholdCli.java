package io.keyhold.cli;

import io.keyhold.cli.internal.ErrorHandler;
import io.keyhold.cli.internal.KmipCommand;
import io.keyhold.cli.internal.KmsCommand;
import io.keyhold.cli.internal.VersionProvider;
import io.keyhold.proxy.cli.KafkaCommand;
import io.keyhold.proxy.cli.ProxyCommand;
import io.keyhold.proxy.cli.VerifyAtRestCommand;
import io.keyhold.server.ServerCommand;
import io.keyhold.server.cli.ClientCommands;
import io.keyhold.secrets.SecretCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code keyhold} entry point. Every command group of every module hangs off this class;
 * a module that adds commands registers its picocli command class in {@link #commandLine()}.
 * Exit codes are listed in {@link ExitCodes}.
 */
@Command(name = "keyhold",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "BYOK encryption at rest for Apache Kafka.",
        subcommands = {ServerCommand.class, KmsCommand.class, KmipCommand.class, SecretCommand.class, ProxyCommand.class,
                CommandLine.HelpCommand.class})
public final class KeyholdCli {

    /** The configured command line, for {@link #main} and for tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new KeyholdCli());
        ErrorHandler handler = new ErrorHandler();
        cl.setExecutionExceptionHandler(handler);
        cl.setParameterExceptionHandler(handler);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // Commands over the control plane's REST API (login, byok, kafka cluster, environment, api-key, service-quota).
        for (Class<?> command : ClientCommands.all()) {
            cl.addSubcommand(command);
        }
        // `keyhold kafka verify-at-rest` joins the `kafka` command group of the client commands
        // (kafka cluster ...), or brings its own when there is none.
        CommandLine kafka = cl.getSubcommands().get("kafka");
        if (kafka == null) {
            cl.addSubcommand(new KafkaCommand());
        } else {
            kafka.addSubcommand(new VerifyAtRestCommand());
        }
        // `secret ... --passphrase @file` names a passphrase file; picocli must not expand it as an argument file.
        cl.setExpandAtFiles(false);
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
