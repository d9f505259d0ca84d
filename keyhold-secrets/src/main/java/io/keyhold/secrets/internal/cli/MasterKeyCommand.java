package io.keyhold.secrets.internal.cli;

import picocli.CommandLine.Command;

@Command(name = "master-key", description = "Manage the master key that protects a secrets file.",
        mixinStandardHelpOptions = true, subcommands = MasterKeyGenerateCommand.class)
public final class MasterKeyCommand {
}
