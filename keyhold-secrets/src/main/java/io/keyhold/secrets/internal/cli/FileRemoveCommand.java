package io.keyhold.secrets.internal.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "remove", mixinStandardHelpOptions = true,
        description = "Remove encrypted values from both the configuration file and the secrets file.")
public final class FileRemoveCommand extends SecretSubcommand {
    @Mixin
    FileOptions.ConfigFile configFile;

    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Option(names = "--config", required = true, paramLabel = "KEYS", description = "Comma-separated keys to remove.")
    String config;

    @Override
    void execute() {
        service().remove(configFile.path, localSecretsFile.path, splitKeys(config));
    }
}
