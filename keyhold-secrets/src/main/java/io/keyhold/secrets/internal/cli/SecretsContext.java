package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.Environment;
import java.io.InputStream;

/** What the secret subcommands take from the command that holds them. */
public interface SecretsContext {
    Environment environment();

    InputStream stdin();
}
