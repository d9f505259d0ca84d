package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.SecretsService;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code add} and {@code update}: the same options, with the new values given as {@code key=value} pairs. */
abstract class NewValuesCommand extends SecretSubcommand {
    @Mixin
    FileOptions.ConfigFile configFile;

    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Mixin
    FileOptions.RemoteSecretsFile remoteSecretsFile;

    @Option(names = "--config", required = true, paramLabel = "PAIRS",
            description = "New values as \"key1=value1\\nkey2=value2\" (a literal \\n separates pairs).")
    String config;

    @Override
    final void execute() {
        apply(service(), configFile.path, localSecretsFile.path, remoteSecretsFile.path, config);
    }

    /** Writes the new values: {@link SecretsService#add} or {@link SecretsService#update}. */
    abstract void apply(SecretsService service, Path configFile, Path localSecretsFile, String remoteSecretsFile, String pairs);
}
