package io.keyhold.cli.internal;

import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.kms.local.Passphrases;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Option;

/** Options shared by commands that open the local KMS store directly. */
public final class LocalKmsAccess {
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:KEYHOLD_DATA_DIR:-./data}",
            description = "Keyhold data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "File holding the local KMS passphrase (else $" + Passphrases.ENV + ", else a generated key file).")
    Path passphraseFile;

    public Path dataDir() {
        return dataDir;
    }

    /** Opens the store (the local KMS logs a warning when it generates a random master key file). */
    public LocalKms open() {
        char[] passphrase = Passphrases.resolve(passphraseFile);
        try {
            return LocalKms.open(LocalKmsOptions.of(dataDir, passphrase));
        } finally {
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
        }
    }
}
