package io.keyhold.secrets.internal.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "update", mixinStandardHelpOptions = true,
        description = "Update encrypted values that a configuration file already has.")
public final class FileUpdateCommand extends SecretSubcommand {
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
        service().update(configFile.path, localSecretsFile.path, remoteSecretsFile.path, config.pairs);
    }
}
