package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.proxy.cli.ProxyCommand;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyhold proxy} with {@code audit: {file: ...}}, end to end: a real broker, the real command
 * with the local KMS, real clients. Every KMS call the proxy makes (the access check at start, the
 * DEK generated for the produce, the unwrap for the fetch) is a JSON line in an owner-only file,
 * appended across restarts, with no key material in it.
 */
class StandaloneAuditTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyKmsCallOfTheProxyIsAJsonLineInAnOwnerOnlyFileAppendedAcrossRestarts(@TempDir Path dir) throws Exception {
        try (LocalKms local = LocalKms.open(LocalKmsOptions.of(dir.resolve("kms"), "audit passphrase".toCharArray()))) {
            local.create("orders-key");
        }
        Files.writeString(dir.resolve("passphrase.txt"), "audit passphrase");
        Path trail = dir.resolve("logs/audit.jsonl");
        try (KafkaTestCluster kafka = KafkaTestCluster.start(1)) {
            int port = freePort();
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, String.join("\n",
                    "kms:",
                    "  provider: local",
                    "  settings:",
                    "    data-dir: " + dir.resolve("kms"),
                    "    passphrase-file: " + dir.resolve("passphrase.txt"),
                    "clusters:",
                    "  - id: orders",
                    "    upstream: " + kafka.bootstrapServers(),
                    "    key: orders-key",
                    "    listen: 127.0.0.1:" + port,
                    "audit:",
                    "  file: logs/audit.jsonl", // relative to the config file
                    ""));
            String topic = "audited-" + System.nanoTime();
            kafka.createTopic(topic, 1, Map.of());
            runProxy(config, port, () -> {
                try (KafkaProducer<byte[], byte[]> producer = Clients.producer("127.0.0.1:" + port, Map.of())) {
                    producer.send(new ProducerRecord<>(topic, "card 4111".getBytes(StandardCharsets.UTF_8))).get();
                }
                try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer("127.0.0.1:" + port, Map.of())) {
                    consumer.subscribe(List.of(topic));
                    assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30))).hasSize(1);
                }
            });
            List<JsonNode> first = lines(trail);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(trail))).isEqualTo("rw-------");
            assertThat(first).extracting(e -> e.path("operation").asText()).contains("checkAccess", "generate", "unwrap");
            assertThat(first).allSatisfy(e -> {
                assertThat(e.path("event_type").asText()).isEqualTo("KMS_CALL");
                assertThat(e.path("provider").asText()).isEqualTo("local");
                assertThat(e.path("key").asText()).isEqualTo("orders-key");
                assertThat(e.path("outcome").asText()).isEqualTo("ok");
                assertThat(e.path("process").asText()).startsWith("proxy@").endsWith(":" + ProcessHandle.current().pid());
                assertThat(e.path("latency_ms").asLong()).isGreaterThanOrEqualTo(0);
                assertThat(e.path("time").asText()).isNotEmpty();
            });
            assertThat(first).filteredOn(e -> e.path("operation").asText().equals("generate"))
                    .allSatisfy(e -> {
                        assertThat(e.path("cluster").asText()).isEqualTo("orders");
                        assertThat(e.path("key_version").asText()).isEqualTo("1");
                    });
            assertThat(Files.readString(trail)).doesNotContain("card 4111").doesNotContainIgnoringCase("edek");

            // a restart appends: the earlier lines stay
            runProxy(config, port, () -> {
            });
            List<JsonNode> both = lines(trail);
            assertThat(both).hasSizeGreaterThan(first.size());
            assertThat(both.subList(0, first.size())).isEqualTo(first);
            assertThat(both.get(both.size() - 1).path("operation").asText()).isEqualTo("checkAccess");
        }
    }

    interface Work {
        void run() throws Exception;
    }

    private static void runProxy(Path config, int port, Work work) throws Exception {
        ProxyCommand command = new ProxyCommand(name -> null);
        AtomicInteger exit = new AtomicInteger(-1);
        Thread t = new Thread(() -> exit.set(new picocli.CommandLine(command).execute("--config", config.toString())));
        t.start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!canConnect(port)) {
                assertThat(t.isAlive()).as("standalone proxy exited with " + exit.get()).isTrue();
                assertThat(System.nanoTime()).as("proxy did not open").isLessThan(deadline);
                Thread.sleep(100);
            }
            work.run();
        } finally {
            command.stop();
            t.join(30_000);
        }
        assertThat(exit.get()).isZero();
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static boolean canConnect(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
