package io.keyhold.secrets.internal.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that several secret subcommands share, each a picocli mixin so that it is declared once. */
final class FileOptions {
    private FileOptions() {
    }

    /** {@code --config-file}: the configuration file to work on. */
    static final class ConfigFile {
        @Option(names = "--config-file", required = true, paramLabel = "FILE",
                description = "The configuration file (.properties or .json).")
        Path path;
    }

    /** {@code --local-secrets-file}: the secrets file as this machine sees it. */
    static final class LocalSecretsFile {
        @Option(names = "--local-secrets-file", required = true, paramLabel = "FILE",
                description = "Path to the local secrets file.")
        Path path;
    }

    /** {@code --remote-secrets-file}: the secrets file as the broker or client will see it. */
    static final class RemoteSecretsFile {
        @Option(names = "--remote-secrets-file", required = true, paramLabel = "FILE",
                description = "Path of the secrets file where the broker or client will read it.")
        String path;
    }
}
