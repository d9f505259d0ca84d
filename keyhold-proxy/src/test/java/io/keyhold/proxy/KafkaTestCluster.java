package io.keyhold.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNode;
import org.apache.kafka.common.test.TestKitNodes;

/** Real in-JVM KRaft brokers on 127.0.0.1 and free ports, for one test class. */
final class KafkaTestCluster implements AutoCloseable {
    /** The super user of a SASL cluster (the test kit's): SASL/PLAIN, allowed everything. */
    static final String SASL_ADMIN = "plain-admin";
    static final String SASL_ADMIN_PASSWORD = "plain-admin-secret";

    private final KafkaClusterTestKit kit;
    private final Path baseDir;
    private final Map<String, Object> clientSecurity;

    private KafkaTestCluster(KafkaClusterTestKit kit, Path baseDir, Map<String, Object> clientSecurity) {
        this.kit = kit;
        this.baseDir = baseDir;
        this.clientSecurity = clientSecurity;
    }

    static KafkaTestCluster start(int brokers) {
        return start(brokers, false);
    }

    /**
     * Brokers whose listener requires SASL/PLAIN (the test kit's set-up: user {@value #SASL_ADMIN}
     * is a super user, others have no ACLs).
     */
    static KafkaTestCluster startSasl(int brokers) {
        return start(brokers, true);
    }

    /**
     * One broker whose client listener speaks TLS with the certificate of {@code keystore} (PKCS#12),
     * trusting {@code caFile} (PEM) for its own connections to itself; the controller listener stays plain.
     */
    static KafkaTestCluster startSsl(Path keystore, String password, Path caFile) {
        Map<String, String> ssl = new java.util.LinkedHashMap<>();
        // The test kit sets up only PLAINTEXT and SASL_PLAINTEXT itself; its client listener (EXTERNAL)
        // becomes SSL by overriding the protocol map, which it fills only when absent.
        ssl.put("listener.security.protocol.map", "EXTERNAL:SSL,CONTROLLER:PLAINTEXT");
        ssl.put("listener.name.external.ssl.keystore.type", "PKCS12");
        ssl.put("listener.name.external.ssl.keystore.location", keystore.toString());
        ssl.put("listener.name.external.ssl.keystore.password", password);
        ssl.put("listener.name.external.ssl.truststore.type", "PEM");
        ssl.put("listener.name.external.ssl.truststore.location", caFile.toString());
        // the broker's own client (to itself) accepts whatever name the test certificate carries
        ssl.put("listener.name.external.ssl.endpoint.identification.algorithm", "");
        Map<String, Object> client = Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                "ssl.truststore.location", caFile.toString(), "ssl.endpoint.identification.algorithm", "");
        return start(1, null, ssl, client);
    }

    /** What a client needs to authenticate as {@code user} over SASL/SCRAM-SHA-256. */
    static Map<String, Object> scramClient(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
    }

    /** An admin client (as the super user of a SASL cluster). */
    Admin admin() {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers());
        p.putAll(clientSecurity);
        return Admin.create(p);
    }

    /** What a client needs to authenticate as {@code user} over SASL/PLAIN. */
    static Map<String, Object> saslClient(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN", "sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\""
                        + password + "\";");
    }

    /** Client settings this cluster needs besides {@code bootstrap.servers} (SASL, or nothing). */
    Map<String, Object> clientSecurity() {
        return clientSecurity;
    }

    private static KafkaTestCluster start(int brokers, boolean sasl) {
        return sasl ? start(brokers, org.apache.kafka.common.security.auth.SecurityProtocol.SASL_PLAINTEXT, Map.of(
                        // SCRAM too (two SaslAuthenticate rounds), on the client listener only; its users are
                        // created with Admin.alterUserScramCredentials.
                        "listener.name.external.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256",
                        "listener.name.external.scram-sha-256.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;"),
                saslClient(SASL_ADMIN, SASL_ADMIN_PASSWORD))
                : start(brokers, null, Map.of(), Map.of());
    }

    private static KafkaTestCluster start(int brokers, org.apache.kafka.common.security.auth.SecurityProtocol protocol,
                                          Map<String, String> listenerProps, Map<String, Object> clientSecurity) {
        try {
            Path dir = Files.createTempDirectory("keyhold-kafka");
            int rf = Math.min(3, brokers);
            TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumControllerNodes(1)
                    .setNumBrokerNodes(brokers)
                    .setBaseDirectory(dir);
            if (protocol != null) {
                nodes.setBrokerSecurityProtocol(protocol);
                if (protocol == org.apache.kafka.common.security.auth.SecurityProtocol.SASL_PLAINTEXT) {
                    nodes.setControllerSecurityProtocol(protocol);
                }
            }
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes.build());
            listenerProps.forEach(builder::setConfigProp);
            KafkaClusterTestKit kit = builder
                    .setConfigProp("offsets.topic.replication.factor", String.valueOf(rf))
                    .setConfigProp("offsets.topic.num.partitions", "2")
                    .setConfigProp("transaction.state.log.replication.factor", String.valueOf(rf))
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("transaction.state.log.num.partitions", "2")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("message.max.bytes", String.valueOf(4 * 1024 * 1024))
                    .setConfigProp("log.cleaner.backoff.ms", "200")
                    .setConfigProp("log.cleaner.threads", "1")
                    .setConfigProp("log.cleaner.dedupe.buffer.size", String.valueOf(4 * 1024 * 1024))
                    .setConfigProp("num.network.threads", "2")
                    .setConfigProp("num.io.threads", "2")
                    .build();
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            return new KafkaTestCluster(kit, dir, clientSecurity);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test Kafka cluster", e);
        }
    }

    String bootstrapServers() {
        return kit.bootstrapServers();
    }

    /** Every broker's log directories. */
    List<Path> logDirs() {
        List<Path> dirs = new ArrayList<>();
        for (TestKitNode n : kit.nodes().brokerNodes().values()) {
            n.logDataDirectories().forEach(d -> dirs.add(Path.of(d)));
        }
        return dirs;
    }

    Path baseDir() {
        return baseDir;
    }

    void createTopic(String name, int partitions, Map<String, String> configs) {
        createTopics(List.of(new NewTopic(name, partitions, (short) Math.min(3, kit.brokers().size())).configs(configs)));
    }

    void createTopics(Collection<NewTopic> topics) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers());
        p.putAll(clientSecurity);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(topics).all().get();
            awaitLeaders(admin, topics);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + topics, e);
        }
    }

    /**
     * Waits until every new partition's leader answers ListOffsets. Producing earlier can race the
     * leader's start (a first batch refused with NOT_LEADER while the next is accepted), which an
     * idempotent producer then reports as an out-of-order sequence.
     */
    private static void awaitLeaders(Admin admin, Collection<NewTopic> topics) throws Exception {
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> all = new java.util.HashMap<>();
        for (NewTopic t : topics) {
            for (int i = 0; i < t.numPartitions(); i++) {
                all.put(new org.apache.kafka.common.TopicPartition(t.name(), i), org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
        }
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                admin.listOffsets(all).all().get();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void close() throws Exception {
        kit.close(); // deletes the data directories too
        if (!Files.exists(baseDir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(baseDir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
