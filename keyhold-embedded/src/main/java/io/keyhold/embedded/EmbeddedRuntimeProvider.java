package io.keyhold.embedded;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.ResilientKms;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.ClusterRuntimeProvider;
import io.keyhold.server.ServerConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plugs {@link EmbeddedClusterRuntime} into {@code keyhold server}. New clusters get a broker on this
 * machine, or bind to the Kafka clusters registered in the server config ({@code kafka-clusters})
 * when there are any. Settings (environment): {@code KEYHOLD_CLUSTER_PORTS} (proxy port range,
 * default {@code 19092-19191}; each cluster takes two ports, or max-node-id + 2 for a registered
 * cluster), {@code KEYHOLD_CLUSTER_HOST} (host name in cluster endpoints, default
 * {@code 127.0.0.1}) and {@code KEYHOLD_CLUSTER_BIND} (interface proxies listen on, default
 * {@code 127.0.0.1}).
 */
public final class EmbeddedRuntimeProvider implements ClusterRuntimeProvider {
    /** Clusters created without a customer key are encrypted under a local key of this name prefix. */
    static final String AUTOMATIC_KEY_PREFIX = "keyhold-auto-";

    @Override
    public ClusterRuntime create(ServerConfig config) {
        return create(config, System.getenv());
    }

    /** As {@link #create(ServerConfig)} with these environment variables (tests choose their port range). */
    ClusterRuntime create(ServerConfig config, Map<String, String> env) {
        String[] range = env.getOrDefault("KEYHOLD_CLUSTER_PORTS", "19092-19191").split("-");
        EmbeddedClusters.Settings settings = new EmbeddedClusters.Settings(config.dataDir(),
                env.getOrDefault("KEYHOLD_CLUSTER_BIND", "127.0.0.1"), env.getOrDefault("KEYHOLD_CLUSTER_HOST", "127.0.0.1"),
                Integer.parseInt(range[0].trim()), Integer.parseInt(range[1].trim()));
        EmbeddedClusterRuntime runtime = new EmbeddedClusterRuntime(new EmbeddedClusters(settings, new ServerKeys(config),
                config.kafkaClusters()));
        runtime.restoreAll();
        return runtime;
    }

    /** One KMS connection per provider kind, set up like the server's own (data-dir and kms.KIND.* settings). */
    static final class ServerKeys implements ClusterKeys {
        private final ServerConfig config;
        private final Map<String, Kms> open = new ConcurrentHashMap<>();

        ServerKeys(ServerConfig config) {
            this.config = config;
        }

        @Override
        public ClusterKey keyFor(String clusterId, String kmsKind, String kmsKeyId) {
            if (kmsKind == null || kmsKeyId == null) {
                return automatic(clusterId);
            }
            return new ClusterKey(kms(kmsKind), kmsKeyId);
        }

        /** Automatic encryption: a local key made for the cluster (Keyhold holds it, not the customer). */
        private ClusterKey automatic(String clusterId) {
            Kms kms = kms(LocalKms.KIND);
            String name = AUTOMATIC_KEY_PREFIX + clusterId;
            try {
                kms.checkAccess(name);
            } catch (KmsDeniedException e) {
                if (e.reason() != KmsDeniedException.Reason.NOT_FOUND) {
                    throw e;
                }
                try (LocalKms local = LocalKms.open(io.keyhold.kms.local.LocalKmsOptions.of(config.dataDir(),
                        io.keyhold.kms.local.Passphrases.resolve(passphraseFile())))) {
                    local.create(name);
                }
            }
            return new ClusterKey(kms, name);
        }

        private java.nio.file.Path passphraseFile() {
            String f = config.kmsSettings().get(LocalKms.KIND + ".passphrase-file");
            return f == null ? null : java.nio.file.Path.of(f);
        }

        private Kms kms(String kind) {
            return open.computeIfAbsent(kind, k -> new ResilientKms(KmsProviders.require(k).open(settings(k)), RetryPolicy.DEFAULT));
        }

        private KmsConfig settings(String kind) {
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
    }
}
