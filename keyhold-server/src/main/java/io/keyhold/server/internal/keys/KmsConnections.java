package io.keyhold.server.internal.keys;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;
import io.keyhold.kms.KmsProviders;
import io.keyhold.server.ServerConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One open {@link Kms} per provider kind, configured from the server's {@code kms.<kind>.*} settings
 * plus {@code data-dir} (where the local KMS keeps its store). Opened on first use, closed with the server.
 */
public final class KmsConnections implements AutoCloseable {
    private final ServerConfig config;
    private final Map<String, Kms> open = new ConcurrentHashMap<>();

    public KmsConnections(ServerConfig config) {
        this.config = config;
    }

    public Optional<KmsProvider> provider(String kind) {
        return KmsProviders.find(kind);
    }

    /** The connection for {@code kind}; throws IllegalArgumentException when the provider is missing or misconfigured. */
    public Kms get(String kind) {
        return open.computeIfAbsent(kind, k -> KmsProviders.require(k).open(settings(k)));
    }

    KmsConfig settings(String kind) {
        Map<String, String> values = new HashMap<>();
        values.put("data-dir", config.dataDir().toAbsolutePath().toString());
        String prefix = kind + ".";
        config.kmsSettings().forEach((name, value) -> {
            if (name.startsWith(prefix)) {
                values.put(name.substring(prefix.length()), value);
            }
        });
        return KmsConfig.of(values);
    }

    @Override
    public void close() {
        open.values().forEach(Kms::close);
        open.clear();
    }
}
