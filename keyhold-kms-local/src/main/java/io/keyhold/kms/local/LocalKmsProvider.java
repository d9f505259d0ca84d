package io.keyhold.kms.local;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The {@code local} provider. Settings: {@code data-dir} (required), {@code passphrase-file}
 * (optional; otherwise {@value Passphrases#ENV}, otherwise a generated key file).
 */
public final class LocalKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return LocalKms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        Path dataDir = Path.of(config.require("data-dir"));
        char[] passphrase = Passphrases.resolve(config.path("passphrase-file").orElse(null));
        try {
            return LocalKms.open(LocalKmsOptions.of(dataDir, passphrase));
        } finally {
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
        }
    }
}
