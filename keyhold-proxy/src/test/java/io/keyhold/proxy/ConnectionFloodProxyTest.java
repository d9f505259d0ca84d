package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What connections can make a proxy hold. Thousands of connections that each announce a 100 MiB
 * frame and send 4 of its bytes (the flood that once exhausted a 6 GiB heap at about 1,450
 * connections) cost little heap, leave the proxy serving a well-behaved client, and are closed
 * after the frame timeout; connections over the limits are refused at once; idle ones are closed.
 * Everything on loopback; the number of connections is what the process's file-descriptor limit
 * allows (each costs four descriptors in this JVM: the test's socket, the proxy's two, the broker's).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectionFloodProxyTest {
    private static final int FLOOD = 3000;
    private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(4);

    private KafkaTestCluster kafka;
    private final TestKms kms = new TestKms();

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
    }

    @AfterAll
    void stop() throws Exception {
        kafka.close();
        kms.close();
    }

    @Test
    void thousandsOfConnectionsAnnouncingLargeFramesHoldLittleLeaveTheProxyServingAndTimeOut() throws Exception {
        int n = connectionsThisProcessAllows();
        ProxyConfig.Builder b = ProxyConfig.builder("flood", List.of(kafka.bootstrapServers()), "k");
        b.limits(b.limits().withConnections(n + 100, n + 100).withTimeouts(FRAME_TIMEOUT, Duration.ofMinutes(10)));
        try (KeyholdProxy proxy = KeyholdProxy.start(b.build(), kms)) {
            long heapBefore = usedHeapAfterGc();
            List<Socket> flood = new ArrayList<>(n);
            long t0 = System.nanoTime();
            try {
                byte[] announce = ByteBuffer.allocate(8).putInt(ProxyConfig.DEFAULT_MAX_FRAME_BYTES - 1).putInt(0x0000_0009).array();
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket(proxy.bootstrapAddress().getHostString(), proxy.bootstrapAddress().getPort());
                    s.getOutputStream().write(announce);
                    flood.add(s);
                }
                await(() -> proxy.metrics().connectionsOpen() >= n, Duration.ofSeconds(60), "all flood connections open");
                Thread.sleep(500); // their 8 bytes read
                long perConnection = (usedHeapAfterGc() - heapBefore) / n;
                System.out.printf("flood: %d connections, each announcing %d bytes and sending 4: %d bytes of heap per connection"
                                + " (proxy, broker and test socket together, after GC); opened in %d ms%n", n,
                        ProxyConfig.DEFAULT_MAX_FRAME_BYTES - 1, perConnection, (System.nanoTime() - t0) / 1_000_000);
                assertThat(perConnection).as("heap per flood connection").isLessThan(64 * 1024);

                // A well-behaved client is served meanwhile.
                String topic = "during-flood";
                kafka.createTopic(topic, 1, Map.of());
                try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
                    for (int i = 0; i < 10; i++) {
                        producer.send(new ProducerRecord<>(topic, ("served " + i).getBytes(StandardCharsets.UTF_8))).get();
                    }
                }
                try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                    consumer.assign(List.of(new TopicPartition(topic, 0)));
                    assertThat(Clients.poll(consumer, 10, Duration.ofSeconds(30))).hasSize(10);
                }

                // Nobody sends the rest of their frame: every flood connection is closed after the timeout.
                await(() -> proxy.metrics().connectionsClosedFrameTimeout() >= n,
                        FRAME_TIMEOUT.multipliedBy(3).plusSeconds(30), "flood connections closed for their incomplete frames");
                assertThat(closedByPeer(flood.get(0))).isTrue();
                assertThat(closedByPeer(flood.get(n - 1))).isTrue();
                await(() -> proxy.metrics().connectionsOpen() == 0, Duration.ofSeconds(30), "no connection left open");
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
        }
    }

    @Test
    void connectionsOverTheLimitsAreRefusedAtOnceAndCounted() throws Exception {
        ProxyConfig.Builder b = ProxyConfig.builder("limits", List.of(kafka.bootstrapServers()), "k");
        b.limits(b.limits().withConnections(6, 4));
        try (KeyholdProxy proxy = KeyholdProxy.start(b.build(), kms)) {
            InetSocketAddress to = proxy.bootstrapAddress();
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    open.add(connect(to, "127.0.0.1"));
                }
                await(() -> proxy.metrics().connectionsOpen() == 4, Duration.ofSeconds(10), "4 connections open");
                Socket fifth = connect(to, "127.0.0.1");
                assertThat(closedByPeer(fifth)).as("a fifth connection from one address").isTrue();
                assertThat(proxy.metrics().connectionsRefusedPerAddress()).isEqualTo(1);

                open.add(connect(to, "127.0.0.2")); // another address: room left in all
                open.add(connect(to, "127.0.0.2"));
                await(() -> proxy.metrics().connectionsOpen() == 6, Duration.ofSeconds(10), "6 connections open");
                Socket seventh = connect(to, "127.0.0.2");
                assertThat(closedByPeer(seventh)).as("a seventh connection in all").isTrue();
                assertThat(proxy.metrics().connectionsRefusedMaxConnections()).isEqualTo(1);
                assertThat(proxy.metrics().connectionsOpen()).isEqualTo(6);

                // Places come back when connections close: a producer (two connections) gets in.
                open.remove(0).close();
                open.remove(0).close();
                await(() -> proxy.metrics().connectionsOpen() == 4, Duration.ofSeconds(10), "two closed");
                kafka.createTopic("limits-topic", 1, Map.of());
                try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
                    assertThat(producer.partitionsFor("limits-topic")).isNotEmpty();
                }
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            StringBuilder scrape = new StringBuilder();
            PrometheusExporter.write(List.of(proxy.metrics()), scrape);
            assertThat(scrape.toString())
                    .contains("keyhold_proxy_connections_refused_total{cluster=\"limits\",reason=\"max_connections\"} 1")
                    .contains("keyhold_proxy_connections_refused_total{cluster=\"limits\",reason=\"max_connections_per_address\"} 1");
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeoutAndOneMidFrameAfterTheFrameTimeout() throws Exception {
        ProxyConfig.Builder b = ProxyConfig.builder("idle", List.of(kafka.bootstrapServers()), "k");
        b.limits(b.limits().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2)));
        try (KeyholdProxy proxy = KeyholdProxy.start(b.build(), kms);
             Socket idle = connect(proxy.bootstrapAddress(), "127.0.0.1");
             Socket midFrame = connect(proxy.bootstrapAddress(), "127.0.0.1")) {
            midFrame.getOutputStream().write(new byte[] {0, 0, 1, 0, 0, 18}); // 256 bytes announced, 2 sent
            long t0 = System.nanoTime();
            assertThat(closedByPeer(midFrame)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
            assertThat(proxy.metrics().connectionsClosedFrameTimeout()).isEqualTo(1);
            assertThat(closedByPeer(idle)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(5));
            assertThat(proxy.metrics().connectionsClosedIdle()).isEqualTo(1);
        }
    }

    /**
     * {@value #FLOOD}, or fewer when the file-descriptor limit ({@code ulimit -n}) would not allow
     * that many with room to spare; raising the limit is left to whoever runs the build.
     */
    private static int connectionsThisProcessAllows() {
        var os = (com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long spare = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - 200;
        int n = (int) Math.min(FLOOD, spare / 4);
        System.out.printf("flood: file descriptors: limit %d, open %d; using %d connections%n", os.getMaxFileDescriptorCount(),
                os.getOpenFileDescriptorCount(), n);
        // Never skipped: with Linux's common default of 1,024 descriptors this still floods with about 180
        // connections, enough to tell kilobytes per connection from the megabytes it once was.
        assertThat(n).as("connections the file-descriptor limit allows: raise ulimit -n").isGreaterThanOrEqualTo(100);
        return n;
    }

    private static Socket connect(InetSocketAddress to, String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(to, 5_000);
        return s;
    }

    /** Whether the peer closed the connection within 10 s (read returns end of stream, or the connection was reset). */
    private static boolean closedByPeer(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        try {
            InputStream in = s.getInputStream();
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + max + ": " + what);
            }
            Thread.sleep(50);
        }
    }
}
