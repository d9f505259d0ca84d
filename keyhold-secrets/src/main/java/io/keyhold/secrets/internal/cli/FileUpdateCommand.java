package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.SecretsService;
import java.nio.file.Path;
import picocli.CommandLine.Command;

@Command(name = "update", mixinStandardHelpOptions = true,
        description = "Update encrypted values that a configuration file already has.")
public final class FileUpdateCommand extends NewValuesCommand {
    @Override
    void apply(SecretsService service, Path configFile, Path localSecretsFile, String remoteSecretsFile, String pairs) {
        service.update(configFile, localSecretsFile, remoteSecretsFile, pairs);
    }
}
