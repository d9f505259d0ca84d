package io.keyhold.server;

import java.io.IOException;
import java.util.Collection;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs clusters: the hook through which the data plane (brokers + encrypting proxy) plugs into the
 * control plane. The server calls it after the database says so (a cluster was created or deleted,
 * its key was lost or came back); the runtime answers through {@link StatusSink}, from any thread.
 *
 * <p>Calls must return quickly: start long work on the runtime's own threads. The server never holds
 * a database transaction open while calling a runtime.
 */
public interface ClusterRuntime {

    /** What a runtime needs to know about a cluster. */
    record Cluster(String id, String organizationId, String environmentId, String displayName, String cloud,
                   String region, KeyBinding key) {
    }

    /**
     * The customer key that encrypts a cluster, or null for automatic encryption.
     *
     * @param byokId      the byok/v1 key id, e.g. {@code cck-a1b2c3}
     * @param kmsKind     the KMS provider kind ({@code local}, {@code aws}, ...), as in {@code KmsProviders}
     * @param kmsKeyId    the key's reference inside that KMS (an ARN, a key URL, a local KMS store name:
     *                    {@code <organization id>/<name>}, or a name without scope for keys of earlier releases)
     */
    record KeyBinding(String byokId, String kmsKind, String kmsKeyId) {
    }

    /** Where a runtime reports phase changes. */
    interface StatusSink {
        /**
         * Records a new phase; {@code bootstrapEndpoint} (host:port for Kafka clients) may be null
         * until the cluster is reachable, {@code message} null when there is nothing to say.
         */
        void report(String clusterId, ClusterPhase phase, String message, String bootstrapEndpoint);
    }

    /** Starts brokers and proxy for a new cluster; report PROVISIONED (or FAILED) when done. */
    void provision(Cluster cluster, StatusSink sink);

    /** Stops the cluster and destroys its data and DEKs; the server already removed its record. */
    void deprovision(String clusterId);

    /** The cluster's key can no longer be used: purge DEK caches and refuse produce/fetch; report LOCKED. */
    void lock(String clusterId, String reason, StatusSink sink);

    /** The key is usable again: resume serving; report PROVISIONED. */
    void unlock(String clusterId, StatusSink sink);

    /**
     * The cluster's key has a new version (rotated, or the alias moved to another key): DEKs for new
     * records must come from the KMS again, under the new version; DEKs of data already written stay
     * usable. The default does nothing.
     */
    default void keyVersionChanged(String clusterId) {
    }

    /**
     * Moves a running cluster onto another customer key without rewriting its records (an online
     * re-key, {@code PATCH /cmk/v2/clusters/{id}} with a new {@code spec.byok}): what the cluster's
     * key wraps is re-wrapped under {@code newKey}, and the cluster serves traffic throughout. The
     * stage completes once nothing of the cluster needs the old key any more; it fails, leaving the
     * cluster on its old key, when that cannot be done (the server then keeps the old key). Must
     * return at once; the work runs on the runtime's threads. {@code sink} is for phase changes
     * (none is expected). The default fails with {@link UnsupportedOperationException}.
     */
    default java.util.concurrent.CompletionStage<Void> rekey(String clusterId, KeyBinding newKey, StatusSink sink) {
        return java.util.concurrent.CompletableFuture.failedFuture(new UnsupportedOperationException(
                "this server's data plane cannot move a cluster to another key"));
    }

    /**
     * What the last health check of the cluster's key found ({@link io.keyhold.kms.KeyWatch}): the
     * data plane exports it in its metrics (KMS unavailable since, failed checks). Called after every
     * check on the monitor's thread, so it must be quick. The default does nothing.
     */
    default void kmsHealth(String clusterId, io.keyhold.kms.KeyWatch.Status status) {
    }

    /**
     * Appends the data plane's metrics for the running clusters that {@code include} accepts (the
     * server passes the caller's organization's clusters), in the Prometheus text format 0.0.4 with
     * metric names that do not clash with the server's own ({@code keyhold_proxy_*}). Called on an
     * HTTP thread for every {@code GET /metrics}, so it should be quick. Never key material.
     * The default writes nothing.
     */
    default void writeMetrics(Appendable out, Predicate<String> include) throws IOException {
    }

    /**
     * The clusters among {@code clusterIds} whose endpoint does not serve Kafka clients now: a
     * client connecting to it could not produce (nothing listens, or no broker answers through it).
     * {@code GET /readyz} asks this for every PROVISIONED cluster on every call, so it must answer
     * within about two seconds, whatever the brokers do. The default, for a runtime that cannot
     * tell, is that none of them serves.
     */
    default Set<String> notServing(Collection<String> clusterIds) {
        return Set.copyOf(clusterIds);
    }

    /**
     * How clients reach the cluster endpoints: whether they serve TLS, whether client certificates
     * are required, and a warning when records would cross a network in clear.
     *
     * @param tls        whether every endpoint serves TLS
     * @param clientAuth {@code none}, {@code requested} or {@code required}
     * @param warning    null, or what is wrong (e.g. plaintext on a non-loopback address)
     */
    record EndpointSecurity(boolean tls, String clientAuth, String warning) {
    }

    /** The endpoints' security, the same for every cluster of this runtime; null when the runtime cannot tell. */
    default EndpointSecurity endpointSecurity() {
        return null;
    }

    /** No data plane installed: clusters are records only and stay PROVISIONING. */
    ClusterRuntime NONE = new ClusterRuntime() {
        @Override
        public void provision(Cluster cluster, StatusSink sink) {
            sink.report(cluster.id(), ClusterPhase.PROVISIONING,
                    "No cluster runtime is installed in this server: the cluster has no running brokers yet.", null);
        }

        @Override
        public void deprovision(String clusterId) {
        }

        @Override
        public void lock(String clusterId, String reason, StatusSink sink) {
            sink.report(clusterId, ClusterPhase.LOCKED, reason, null);
        }

        @Override
        public void unlock(String clusterId, StatusSink sink) {
            sink.report(clusterId, ClusterPhase.PROVISIONING, null, null);
        }
    };
}
