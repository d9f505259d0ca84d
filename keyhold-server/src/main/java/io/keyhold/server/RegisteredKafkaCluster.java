package io.keyhold.server;

import io.keyhold.proxy.UpstreamSettings;
import java.util.Map;
import java.util.Objects;

/**
 * A Kafka cluster the operator already runs and registered in the server config
 * ({@code kafka-clusters}); a created cluster binds to one that is free, and its proxy encrypts
 * everything written to it. Client SASL passes through the proxy to these brokers; the only broker
 * credentials are those the operator gives the proxy's own key-topic client ({@code keyTopicClient}).
 *
 * @param name      the operator's name for it, unique in the config; the binding refers to it
 * @param upstream  bootstrap servers and optional TLS from the proxy to the brokers
 * @param cloud     only clusters created with this {@code spec.cloud} bind to it (null: any)
 * @param region    only clusters created with this {@code spec.region} bind to it (null: any)
 * @param maxNodeId the largest broker {@code node.id} in the cluster: its proxy reserves a port for
 *                  every node id from 0 to this one
 * @param keyTopicClient Kafka client properties ({@code security.protocol}, {@code sasl.*},
 *                  {@code ssl.*}) of the proxy's own connection to Keyhold's key topic
 *                  {@code __keyhold_keys}, for a Kafka that wants SASL from it; empty: none. Their
 *                  values may be credentials: never in {@link #toString()}
 */
public record RegisteredKafkaCluster(String name, UpstreamSettings upstream, String cloud, String region, int maxNodeId,
                                     Map<String, String> keyTopicClient) {
    /** Node ids 0-9 unless the operator says otherwise: ten brokers, twelve proxy ports. */
    public static final int DEFAULT_MAX_NODE_ID = 9;

    public RegisteredKafkaCluster {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(upstream, "upstream");
        if (maxNodeId < 0) {
            throw new IllegalArgumentException("max-node-id must be >= 0");
        }
        keyTopicClient = Map.copyOf(keyTopicClient);
    }

    /** Without key-topic client properties: the proxy's own connection needs no SASL. */
    public RegisteredKafkaCluster(String name, UpstreamSettings upstream, String cloud, String region, int maxNodeId) {
        this(name, upstream, cloud, region, maxNodeId, Map.of());
    }

    /** Whether a cluster created in {@code clusterCloud}/{@code clusterRegion} may bind to this one. */
    public boolean accepts(String clusterCloud, String clusterRegion) {
        return (cloud == null || cloud.equalsIgnoreCase(clusterCloud)) && (region == null || region.equals(clusterRegion));
    }

    /** For logs: the name and where it is, never anything else. */
    @Override
    public String toString() {
        return name + upstream.bootstrapServers() + (upstream.tls() == null ? "" : " (TLS)")
                + (keyTopicClient.isEmpty() ? "" : " (key topic client: " + new java.util.TreeSet<>(keyTopicClient.keySet()) + ")");
    }
}
