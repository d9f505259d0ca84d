package io.keyhold.embedded.internal;

import io.keyhold.proxy.UpstreamSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.Uuid;

/** Brokers on this machine: a single-node KRaft Kafka in this JVM, its data in {@code <cluster dir>/kafka}. */
public final class LocalKafka implements KafkaSource {
    public static final String KIND = "embedded";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public ProxyPorts.Need create(String clusterId, String cloud, String region, Properties record, Collection<Properties> others)
            throws IOException {
        record.setProperty("kafka.cluster.id", Uuid.randomUuid().toString());
        record.setProperty("broker.port", String.valueOf(freePort()));
        record.setProperty("controller.port", String.valueOf(freePort()));
        return new ProxyPorts.Need(2, 0); // bootstrap, then node 1 on bootstrap + 1
    }

    @Override
    public Upstream open(String clusterId, Path clusterDir, Properties record) throws Exception {
        EmbeddedBroker broker = EmbeddedBroker.start(clusterDir.resolve("kafka"), record.getProperty("kafka.cluster.id"),
                Integer.parseInt(record.getProperty("broker.port")), Integer.parseInt(record.getProperty("controller.port")));
        return new Upstream(new UpstreamSettings(List.of(broker.bootstrapServers()), null), java.util.Map.of(), broker);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
