package io.keyhold.secrets.internal.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "encrypt", mixinStandardHelpOptions = true,
        description = {"Encrypt secrets in a configuration file.",
                "Without --config, every key whose name contains \"password\" is encrypted."})
public final class FileEncryptCommand extends SecretSubcommand {
    @Mixin
    FileOptions.ConfigFile configFile;

    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Mixin
    FileOptions.RemoteSecretsFile remoteSecretsFile;

    @Option(names = "--config", paramLabel = "KEYS", description = "Comma-separated keys to encrypt.")
    String config;

    @Override
    void execute() {
        service().encrypt(configFile.path, localSecretsFile.path, remoteSecretsFile.path, splitKeys(config));
    }
}
