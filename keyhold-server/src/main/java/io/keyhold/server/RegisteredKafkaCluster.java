package io.keyhold.server;

import io.keyhold.proxy.UpstreamSettings;
import java.util.Objects;

/**
 * A Kafka cluster the operator already runs and registered in the server config
 * ({@code kafka-clusters}); a created cluster binds to one that is free, and its proxy encrypts
 * everything written to it. Client SASL passes through the proxy to these brokers, so no broker
 * credentials are kept here.
 *
 * @param name      the operator's name for it, unique in the config; the binding refers to it
 * @param upstream  bootstrap servers and optional TLS from the proxy to the brokers
 * @param cloud     only clusters created with this {@code spec.cloud} bind to it (null: any)
 * @param region    only clusters created with this {@code spec.region} bind to it (null: any)
 * @param maxNodeId the largest broker {@code node.id} in the cluster: its proxy reserves a port for
 *                  every node id from 0 to this one
 */
public record RegisteredKafkaCluster(String name, UpstreamSettings upstream, String cloud, String region, int maxNodeId) {
    /** Node ids 0-9 unless the operator says otherwise: ten brokers, twelve proxy ports. */
    public static final int DEFAULT_MAX_NODE_ID = 9;

    public RegisteredKafkaCluster {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(upstream, "upstream");
        if (maxNodeId < 0) {
            throw new IllegalArgumentException("max-node-id must be >= 0");
        }
    }

    /** Whether a cluster created in {@code clusterCloud}/{@code clusterRegion} may bind to this one. */
    public boolean accepts(String clusterCloud, String clusterRegion) {
        return (cloud == null || cloud.equalsIgnoreCase(clusterCloud)) && (region == null || region.equals(clusterRegion));
    }

    /** For logs: the name and where it is, never anything else. */
    @Override
    public String toString() {
        return name + upstream.bootstrapServers() + (upstream.tls() == null ? "" : " (TLS)");
    }
}
