package io.keyhold.embedded.internal;

import io.keyhold.proxy.UpstreamSettings;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Properties;

/**
 * Where a cluster's Kafka brokers come from: started in this JVM ({@link LocalKafka}) or an
 * existing cluster the operator registered ({@link RegisteredKafka}). Everything else about a
 * cluster (its proxy, ports, key, lock state, record) is the same for both and lives in
 * {@code EmbeddedClusters}.
 */
public interface KafkaSource {
    /** Stored in the record as {@link ClusterRecord#SOURCE}. */
    String kind();

    /**
     * Chooses the Kafka for a new cluster and puts what a restart needs into {@code record}.
     *
     * @param others the records of every other cluster on this machine (to see what is taken)
     * @return the proxy ports the cluster needs
     */
    ProxyPorts.Need create(String clusterId, String cloud, String region, Properties record, Collection<Properties> others)
            throws Exception;

    /** Starts or reaches the cluster's Kafka; closing the result stops what was started (never the data). */
    Upstream open(String clusterId, Path clusterDir, Properties record) throws Exception;

    /** How the proxy connects, and what to stop with the cluster. */
    /**
     * @param keyTopicClient authentication properties of the proxy's own key-topic client (empty: the
     *                       proxy's connection as it is, bootstrap and TLS)
     */
    record Upstream(UpstreamSettings settings, java.util.Map<String, String> keyTopicClient, AutoCloseable stop) {
    }
}
