package io.keyhold.secrets.internal.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "decrypt", mixinStandardHelpOptions = true,
        description = "Decrypt the encrypted values of a configuration file into an output file (owner-only).")
public final class FileDecryptCommand extends SecretSubcommand {
    @Mixin
    FileOptions.ConfigFile configFile;

    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Option(names = "--output-file", required = true, paramLabel = "FILE",
            description = "Where to write the decrypted values.")
    Path outputFile;

    @Option(names = "--config", paramLabel = "KEYS", description = "Comma-separated keys to decrypt (default: all).")
    String config;

    @Override
    void execute() {
        service().decrypt(configFile.path, localSecretsFile.path, outputFile, splitKeys(config));
    }
}
