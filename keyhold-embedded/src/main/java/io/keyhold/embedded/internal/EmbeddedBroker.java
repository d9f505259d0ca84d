package io.keyhold.embedded.internal;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * One single-node KRaft Kafka (broker and controller in one) running in this JVM, bound to
 * 127.0.0.1, with all its data under one directory. Formats the directory on first start.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final int NODE_ID = 1;

    private final KafkaRaftServer server;
    private final int brokerPort;

    private EmbeddedBroker(KafkaRaftServer server, int brokerPort) {
        this.server = server;
        this.brokerPort = brokerPort;
    }

    /**
     * Starts (formatting first if needed) the broker whose data lives in {@code logDir}.
     *
     * @param kafkaClusterId the Kafka cluster id (a base64 UUID), fixed for the directory's life
     */
    public static EmbeddedBroker start(Path logDir, String kafkaClusterId, int brokerPort, int controllerPort) throws Exception {
        return start(logDir, kafkaClusterId, brokerPort, controllerPort, "PLAINTEXT", Map.of());
    }

    /**
     * As {@link #start(Path, String, int, int)}, with the client listener on {@code securityProtocol}
     * ({@code PLAINTEXT}, {@code SASL_PLAINTEXT}, ...) and {@code extra} broker settings (e.g. SASL).
     */
    public static EmbeddedBroker start(Path logDir, String kafkaClusterId, int brokerPort, int controllerPort,
                                       String securityProtocol, Map<String, String> extra) throws Exception {
        Files.createDirectories(logDir);
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", securityProtocol + "://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", securityProtocol + "://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", securityProtocol + ":" + securityProtocol + ",CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", securityProtocol);
        p.put("log.dirs", logDir.toString());
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // After a kill -9 the controller (this same node) still holds the dead incarnation's session and
        // refuses the restarted broker's registration until that session expires: with Kafka's default
        // 9 s timeout and 2 s heartbeats that was 10 s of every restart. Broker and controller share a
        // JVM and talk over loopback, so a short session costs nothing; a stall longer than it only
        // fences the broker until its next heartbeat.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "2000");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.putAll(extra);
        KafkaConfig config = new KafkaConfig(p, false);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(kafkaClusterId)
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            throw e;
        }
        return new EmbeddedBroker(server, brokerPort);
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
