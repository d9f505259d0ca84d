package io.keyhold.secrets.internal.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "update", mixinStandardHelpOptions = true,
        description = "Update encrypted values that a configuration file already has.")
public final class FileUpdateCommand extends SecretSubcommand {
    @Option(names = "--config-file", required = true, paramLabel = "FILE",
            description = "The configuration file (.properties or .json).")
    Path configFile;

    @Option(names = "--local-secrets-file", required = true, paramLabel = "FILE",
            description = "Path to the local secrets file.")
    Path localSecretsFile;

    @Option(names = "--remote-secrets-file", required = true, paramLabel = "FILE",
            description = "Path of the secrets file where the broker or client will read it.")
    String remoteSecretsFile;

    @Option(names = "--config", required = true, paramLabel = "PAIRS",
            description = "New values as \"key1=value1\\nkey2=value2\" (a literal \\n separates pairs).")
    String config;

    @Override
    void execute() {
        service().update(configFile, localSecretsFile, remoteSecretsFile, config);
    }
}
