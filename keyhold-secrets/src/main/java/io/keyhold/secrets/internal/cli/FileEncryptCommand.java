package io.keyhold.secrets.internal.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "encrypt", mixinStandardHelpOptions = true,
        description = {"Encrypt secrets in a configuration file.",
                "Without --config, every key whose name contains \"password\" is encrypted."})
public final class FileEncryptCommand extends SecretSubcommand {
    @Option(names = "--config-file", required = true, paramLabel = "FILE",
            description = "The configuration file (.properties or .json).")
    Path configFile;

    @Option(names = "--local-secrets-file", required = true, paramLabel = "FILE",
            description = "Path to the local secrets file.")
    Path localSecretsFile;

    @Option(names = "--remote-secrets-file", required = true, paramLabel = "FILE",
            description = "Path of the secrets file where the broker or client will read it.")
    String remoteSecretsFile;

    @Option(names = "--config", paramLabel = "KEYS", description = "Comma-separated keys to encrypt.")
    String config;

    @Override
    void execute() {
        service().encrypt(configFile, localSecretsFile, remoteSecretsFile, splitKeys(config));
    }
}
