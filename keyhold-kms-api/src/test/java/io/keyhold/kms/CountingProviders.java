package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Two KMS providers for the registry tests, installed through this module's test
 * {@code META-INF/services}: they record every connection they open. ServiceLoader makes a new
 * provider object per lookup, so the record is static; tests {@link #reset} it.
 */
final class CountingProviders {
    static final List<Connection> OPENED = new CopyOnWriteArrayList<>();

    private CountingProviders() {
    }

    static void reset() {
        OPENED.clear();
    }

    static List<Connection> opened(String kind) {
        return OPENED.stream().filter(c -> c.kind.equals(kind)).toList();
    }

    public static final class Alpha implements KmsProvider {
        @Override
        public String kind() {
            return "counting-alpha";
        }

        @Override
        public Kms open(KmsConfig config) {
            return opening(new Connection(kind(), config));
        }
    }

    public static final class Beta implements KmsProvider {
        @Override
        public String kind() {
            return "counting-beta";
        }

        @Override
        public Kms open(KmsConfig config) {
            if (config.get("broken").isPresent()) {
                throw new IllegalArgumentException("KMS setting 'broken' says so");
            }
            return opening(new Connection(kind(), config));
        }
    }

    private static Connection opening(Connection c) {
        try {
            Thread.sleep(20); // opening takes a while (a key store, a TLS handshake): concurrent first uses overlap
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        OPENED.add(c);
        return c;
    }

    /** A connection that answers describe() with its own config; everything else is unsupported. */
    static final class Connection implements Kms {
        final String kind;
        final KmsConfig config;
        volatile int closes;
        volatile RuntimeException closeFailure;

        Connection(String kind, KmsConfig config) {
            this.kind = kind;
            this.config = config;
        }

        @Override
        public String kind() {
            return kind;
        }

        @Override
        public CompletionStage<KeyInfo> describe(String keyRef) {
            return CompletableFuture.completedFuture(new KeyInfo(keyRef, KeyState.ENABLED, "AES-256-GCM",
                    config.get("region").orElse("none"), "1", false, null, null));
        }

        @Override
        public CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context) {
            return Kms.failed(new UnsupportedOperationException());
        }

        @Override
        public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
            return Kms.failed(new UnsupportedOperationException());
        }

        @Override
        public CompletionStage<KeyInfo> rotate(String keyRef) {
            return Kms.failed(new UnsupportedOperationException());
        }

        @Override
        public synchronized void close() {
            closes++;
            if (closeFailure != null) {
                throw closeFailure;
            }
        }
    }
}
