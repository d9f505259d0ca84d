package io.keyhold.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** A one-broker KRaft cluster in its own JVM for the proxy benchmark; stops when its standard input closes. */
public final class BenchBroker {
    private BenchBroker() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("keyhold-bench-kafka");
        try (KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setCombined(true).setNumControllerNodes(1).setNumBrokerNodes(1).setBaseDirectory(dir).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .build()) {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            System.out.println("BOOTSTRAP " + kit.bootstrapServers());
            System.out.flush();
            while (System.in.read() >= 0) {
                // run until the parent closes our standard input
            }
        }
    }
}
