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

        /**
         * Bounds on every cost, checked before anything is derived: a store's header is read before
         * it can be authenticated, so without upper bounds a changed {@code memory_kib} could make
         * opening the store exhaust memory (or take hours).
         */
        public static final int MIN_MEMORY_KIB = 8 * 1024;
        public static final int MAX_MEMORY_KIB = 1024 * 1024;
        public static final int MAX_ITERATIONS = 64;
        public static final int MAX_PARALLELISM = 16;

        public KdfCost {
            check("memory_kib", memoryKib, MIN_MEMORY_KIB, MAX_MEMORY_KIB, " (8 MiB to 1 GiB)");
            check("iterations", iterations, 1, MAX_ITERATIONS, "");
            check("parallelism", parallelism, 1, MAX_PARALLELISM, "");
        }

        private static void check(String name, int value, int min, int max, String note) {
            if (value < min || value > max) {
                throw new IllegalArgumentException("Argon2id " + name + " must be " + min + " to " + max + note + ", got " + value);
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
