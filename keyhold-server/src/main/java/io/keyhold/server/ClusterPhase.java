package io.keyhold.server;

/**
 * {@code status.phase} of a cluster. The server sets {@link #PROVISIONING} on create; everything
 * after that is reported by the {@link ClusterRuntime} that runs the cluster's brokers and proxy.
 */
public enum ClusterPhase {
    /** Created; brokers and proxy are being started (or no runtime is installed yet). */
    PROVISIONING,
    /** Running: clients can connect to the bootstrap endpoint; reads and writes work. */
    PROVISIONED,
    /** The key was taken away at the KMS: DEK caches purged, produce and fetch refused, data kept. */
    LOCKED,
    /** Starting failed; {@code status} carries the runtime's message. */
    FAILED
}
