package io.keyhold.embedded.internal;

import io.keyhold.server.RegisteredKafkaCluster;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Brokers the operator already runs and registered in the server config ({@code kafka-clusters}).
 * A new cluster binds to the first free registration that accepts its cloud and region; each
 * registration serves one cluster at a time, because everything on that Kafka is encrypted under
 * that cluster's key. Keyhold does not own these brokers: it never starts, stops or deletes
 * anything on them.
 */
public final class RegisteredKafka implements KafkaSource {
    public static final String KIND = "registered";
    /** The registration's name in the record. */
    static final String NAME = "kafka.registered.name";

    private final List<RegisteredKafkaCluster> registered;

    public RegisteredKafka(List<RegisteredKafkaCluster> registered) {
        this.registered = List.copyOf(registered);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public ProxyPorts.Need create(String clusterId, String cloud, String region, Properties record, Collection<Properties> others) {
        Set<String> bound = new HashSet<>();
        for (Properties o : others) {
            if (KIND.equals(o.getProperty(ClusterRecord.SOURCE))) {
                bound.add(o.getProperty(NAME));
            }
        }
        List<RegisteredKafkaCluster> matching = registered.stream().filter(r -> r.accepts(cloud, region)).toList();
        RegisteredKafkaCluster chosen = matching.stream().filter(r -> !bound.contains(r.name())).findFirst()
                .orElseThrow(() -> new IllegalStateException(noneFree(cloud, region, matching.size())));
        record.setProperty(NAME, chosen.name());
        // Bootstrap port, then one port per node id 0..max-node-id (node ids often start at 0).
        return new ProxyPorts.Need(chosen.maxNodeId() + 2, 1);
    }

    private String noneFree(String cloud, String region, int matching) {
        String where = "cloud " + cloud + ", region " + region;
        if (matching == 0) {
            return "none of the " + registered.size() + " Kafka clusters registered in the server config (kafka-clusters) accepts "
                    + where + ". Register one for it and restart the server.";
        }
        return "no registered Kafka cluster is free for " + where + ": all " + matching + " that accept it are bound to other"
                + " Keyhold clusters. Register more Kafka clusters in the server config (kafka-clusters) and restart the server,"
                + " or delete a cluster that is no longer needed.";
    }

    @Override
    public Upstream open(String clusterId, Path clusterDir, Properties record) {
        String name = record.getProperty(NAME);
        RegisteredKafkaCluster r = registered.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("cluster " + clusterId + " is bound to the registered Kafka cluster '"
                        + name + "', which is no longer in the server config (kafka-clusters); register it again to serve it"));
        return new Upstream(r.upstream(), r.keyTopicClient(), () -> { }); // not ours to stop
    }
}
