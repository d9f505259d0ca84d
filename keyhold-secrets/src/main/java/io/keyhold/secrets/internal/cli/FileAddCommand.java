package io.keyhold.secrets.internal.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = "Add encrypted values to a configuration file.")
public final class FileAddCommand extends SecretSubcommand {
    @Mixin
    FileOptions.ConfigFile configFile;

    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Mixin
    FileOptions.RemoteSecretsFile remoteSecretsFile;

    @Mixin
    FileOptions.ConfigPairs config;

    @Override
    void execute() {
        service().add(configFile.path, localSecretsFile.path, remoteSecretsFile.path, config.pairs);
    }
}
