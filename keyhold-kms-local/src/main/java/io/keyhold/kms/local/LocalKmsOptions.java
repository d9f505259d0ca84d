package io.keyhold.kms.local;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * How to open a local KMS store.
 *
 * @param dataDir    Keyhold's data directory; the store lives in {@code dataDir/local-kms/}
 * @param passphrase the store passphrase, or null to use (or create) a random key file instead
 * @param clock      for creation and deletion dates
 * @param kdfCost    Argon2id cost for new stores; existing stores keep the cost they were created with
 */
public record LocalKmsOptions(Path dataDir, char[] passphrase, Clock clock, KdfCost kdfCost) {
    /** Argon2id parameters. */
    public record KdfCost(int memoryKib, int iterations, int parallelism) {
        /** 64 MiB, 3 passes, 1 lane: well above OWASP's minimum for Argon2id. */
        public static final KdfCost DEFAULT = new KdfCost(64 * 1024, 3, 1);

        public KdfCost {
            if (memoryKib < 8 * 1024 || iterations < 1 || parallelism < 1) {
                throw new IllegalArgumentException("Argon2id cost too low: at least 8 MiB and 1 pass");
            }
        }
    }

    public LocalKmsOptions {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(kdfCost, "kdfCost");
    }

    public static LocalKmsOptions of(Path dataDir, char[] passphrase) {
        return new LocalKmsOptions(dataDir, passphrase, Clock.systemUTC(), KdfCost.DEFAULT);
    }

    public Path storeDir() {
        return dataDir.resolve("local-kms");
    }
}
