package io.keyhold.secrets.internal;

import io.keyhold.common.AtomicFiles;
import java.io.IOException;
import java.util.List;

/** The secret commands' file writes: {@link AtomicFiles#writeAll}, all or none, with a CLI-grade error. */
final class SecretFiles {
    private SecretFiles() {
    }

    static void write(AtomicFiles.Write... writes) {
        try {
            AtomicFiles.writeAll(List.of(writes));
        } catch (IOException e) {
            throw new SecretsException("could not write \"" + writes[0].target() + "\": " + e.getMessage(),
                    "Check that the directory exists and is writable, then try again.", e);
        }
    }
}
