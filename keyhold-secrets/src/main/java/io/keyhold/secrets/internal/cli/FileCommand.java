package io.keyhold.secrets.internal.cli;

import picocli.CommandLine.Command;

@Command(name = "file", description = "Secure secrets in a configuration file (.properties or .json).",
        mixinStandardHelpOptions = true,
        subcommands = {FileEncryptCommand.class, FileDecryptCommand.class, FileAddCommand.class,
                FileUpdateCommand.class, FileRemoveCommand.class, FileRotateCommand.class})
public final class FileCommand {
}
