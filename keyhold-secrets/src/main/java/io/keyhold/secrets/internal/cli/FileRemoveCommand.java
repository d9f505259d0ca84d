package io.keyhold.secrets.internal.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "remove", mixinStandardHelpOptions = true,
        description = "Remove encrypted values from both the configuration file and the secrets file.")
public final class FileRemoveCommand extends SecretSubcommand {
    @Option(names = "--config-file", required = true, paramLabel = "FILE",
            description = "The configuration file (.properties or .json).")
    Path configFile;

    @Option(names = "--local-secrets-file", required = true, paramLabel = "FILE",
            description = "Path to the local secrets file.")
    Path localSecretsFile;

    @Option(names = "--config", required = true, paramLabel = "KEYS", description = "Comma-separated keys to remove.")
    String config;

    @Override
    void execute() {
        service().remove(configFile, localSecretsFile, splitKeys(config));
    }
}
