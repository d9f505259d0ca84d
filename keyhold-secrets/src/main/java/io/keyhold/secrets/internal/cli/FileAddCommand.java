package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.SecretsService;
import java.nio.file.Path;
import picocli.CommandLine.Command;

@Command(name = "add", mixinStandardHelpOptions = true,
        description = "Add encrypted values to a configuration file.")
public final class FileAddCommand extends NewValuesCommand {
    @Override
    void apply(SecretsService service, Path configFile, Path localSecretsFile, String remoteSecretsFile, String pairs) {
        service.add(configFile, localSecretsFile, remoteSecretsFile, pairs);
    }
}
