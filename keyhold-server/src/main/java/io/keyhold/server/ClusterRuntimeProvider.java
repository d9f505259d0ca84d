package io.keyhold.server;

import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Installs a {@link ClusterRuntime} without the server depending on it: a data-plane module on the
 * class path lists its provider in {@code META-INF/services/io.keyhold.server.ClusterRuntimeProvider}
 * and {@code keyhold server} uses it (keyhold-embedded runs brokers and proxies on this machine).
 */
public interface ClusterRuntimeProvider {
    /** A runtime for a server with this configuration; it is closed with the server, if closeable. */
    ClusterRuntime create(ServerConfig config);

    /** The first installed provider, if any. */
    static Optional<ClusterRuntimeProvider> installed() {
        return ServiceLoader.load(ClusterRuntimeProvider.class, ClusterRuntimeProvider.class.getClassLoader()).findFirst();
    }
}
