package io.keyhold.secrets.internal.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = "Add encrypted values to a configuration file.")
public final class FileAddCommand extends SecretSubcommand {
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
        service().add(configFile, localSecretsFile, remoteSecretsFile, config);
    }
}
