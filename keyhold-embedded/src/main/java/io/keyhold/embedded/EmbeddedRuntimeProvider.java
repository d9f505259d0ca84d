package io.keyhold.embedded;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.local.LocalKeyScope;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.ClusterRuntimeProvider;
import io.keyhold.server.ServerConfig;
import java.util.Map;

/**
 * Plugs {@link EmbeddedClusterRuntime} into {@code keyhold server}. New clusters get a broker on this
 * machine, or bind to the Kafka clusters registered in the server config ({@code kafka-clusters})
 * when there are any. Settings (environment): {@code KEYHOLD_CLUSTER_PORTS} (proxy port range,
 * default {@code 19092-19191}; each cluster takes two ports, or max-node-id + 2 for a registered
 * cluster), {@code KEYHOLD_CLUSTER_HOST} (host name in cluster endpoints, default
 * {@code 127.0.0.1}) and {@code KEYHOLD_CLUSTER_BIND} (interface proxies listen on, default
 * {@code 127.0.0.1}). TLS on the endpoints comes from the server config ({@code cluster-tls}).
 */
public final class EmbeddedRuntimeProvider implements ClusterRuntimeProvider {
    @Override
    public ClusterRuntime create(ServerConfig config) {
        return create(config, System.getenv());
    }

    /** As {@link #create(ServerConfig)} with these environment variables (tests choose their port range). */
    ClusterRuntime create(ServerConfig config, Map<String, String> env) {
        String[] range = env.getOrDefault("KEYHOLD_CLUSTER_PORTS", "19092-19191").split("-");
        EmbeddedClusters.Settings settings = new EmbeddedClusters.Settings(config.dataDir(),
                env.getOrDefault("KEYHOLD_CLUSTER_BIND", "127.0.0.1"), env.getOrDefault("KEYHOLD_CLUSTER_HOST", "127.0.0.1"),
                Integer.parseInt(range[0].trim()), Integer.parseInt(range[1].trim()), config.clusterTls());
        EmbeddedClusterRuntime runtime = new EmbeddedClusterRuntime(new EmbeddedClusters(settings, new ServerKeys(config),
                config.kafkaClusters()));
        runtime.restoreAll();
        return runtime;
    }

    /** The cluster keys, through the server's own KMS connections (one per provider kind per process). */
    static final class ServerKeys implements ClusterKeys {
        private final ServerConfig config;

        ServerKeys(ServerConfig config) {
            this.config = config;
        }

        @Override
        public ClusterKey keyFor(String clusterId, String kmsKind, String kmsKeyId) {
            if (kmsKind == null || kmsKeyId == null) {
                // a cluster recorded before automatic keys were scoped: its key has no organization in its name
                return new ClusterKey(config.kms().get(LocalKms.KIND), ensure(LocalKeyScope.unscopedAutomaticKeyName(clusterId)));
            }
            return new ClusterKey(config.kms().get(kmsKind), kmsKeyId);
        }

        /**
         * Automatic encryption: a local key made for the cluster (Keyhold holds it, not the customer),
         * in its organization's part of the store, where that organization's users can neither list
         * nor change it (see {@link LocalKeyScope}).
         */
        @Override
        public Binding automaticKey(String organizationId, String clusterId) {
            return new Binding(LocalKms.KIND, ensure(LocalKeyScope.automaticKeyName(organizationId, clusterId)));
        }

        private String ensure(String name) {
            LocalKms local = config.kms().unwrapped(LocalKms.KIND, LocalKms.class);
            try {
                local.checkUsable(name);
            } catch (KmsDeniedException e) {
                if (e.reason() != KmsDeniedException.Reason.NOT_FOUND) {
                    throw e;
                }
                local.create(name);
            }
            return name;
        }
    }
}
