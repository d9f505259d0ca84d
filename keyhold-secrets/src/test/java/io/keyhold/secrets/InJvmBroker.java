package io.keyhold.secrets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node KRaft Kafka (broker and controller in one) started from a server.properties file
 * the way {@code kafka-server-start.sh} does: load the file, build {@link KafkaConfig} (which runs
 * the config providers), start. Binds to 127.0.0.1 only.
 */
final class InJvmBroker implements AutoCloseable {
    private final KafkaRaftServer server;

    private InJvmBroker(KafkaRaftServer server) {
        this.server = server;
    }

    /** Formats the log directory (with settings that hold no secrets) and starts the server. */
    static InJvmBroker start(Path serverProperties, Path logDir) throws Exception {
        return start(serverProperties, logDir, List.of());
    }

    /**
     * As above, with SCRAM credentials put into the cluster's bootstrap metadata, in the storage
     * tool's syntax: {@code SCRAM-SHA-256=[name=alice,password=...]}.
     */
    static InJvmBroker start(Path serverProperties, Path logDir, List<String> scramCredentials) throws Exception {
        new Formatter()
                .setScramArguments(scramCredentials)
                .setPrintStream(new PrintStream(new ByteArrayOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .addDirectory(logDir.toString())
                .setMetadataLogDirectory(logDir.toString())
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setControllerListenerName("CONTROLLER")
                .run();
        KafkaConfig config = loadConfig(serverProperties);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            // Stop whatever did start, so a failed test leaves no threads or ports behind.
            server.shutdown();
            server.awaitShutdown();
            throw e;
        }
        return new InJvmBroker(server);
    }

    /** What {@code kafka.Kafka} does with the file given on its command line. */
    static KafkaConfig loadConfig(Path serverProperties) throws IOException {
        Properties props = Utils.loadProps(serverProperties.toString());
        return KafkaConfig.fromProps(props, false);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
