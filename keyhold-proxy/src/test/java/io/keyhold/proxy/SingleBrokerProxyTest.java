package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.proxy.internal.RecordEncryption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End to end through the proxy in front of one real KRaft broker, with real Kafka clients. One
 * broker and one proxy for the whole class; each test uses its own topics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SingleBrokerProxyTest {
    private KafkaTestCluster kafka;
    private TestKms kms;
    private KeyholdProxy proxy;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
        kms = new TestKms();
        proxy = KeyholdProxy.start(ProxyConfig.builder("c1", List.of(kafka.bootstrapServers()), "kek-1").build(), kms);
    }

    @AfterAll
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** A record as the client sees it, with byte arrays compared by content. */
    record Seen(long offset, String key, byte[] value, List<String> headers, long timestamp) {
        static Seen of(ConsumerRecord<byte[], byte[]> r) {
            List<String> hs = new ArrayList<>();
            for (Header h : r.headers()) {
                hs.add(h.key() + "=" + (h.value() == null ? "<null>" : Arrays.toString(h.value())));
            }
            return new Seen(r.offset(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                    r.value(), hs, r.timestamp());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Seen s && offset == s.offset && java.util.Objects.equals(key, s.key)
                    && Arrays.equals(value, s.value) && headers.equals(s.headers) && timestamp == s.timestamp;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(offset);
        }

        @Override
        public String toString() {
            return "Seen[" + offset + "," + key + "," + (value == null ? "null" : value.length + "B") + "," + headers + "," + timestamp + "]";
        }
    }

    private static byte[] payload(String canary, int size) {
        byte[] b = new byte[size];
        byte[] c = canary.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            b[i] = i % 97 < c.length && size >= c.length ? c[i % 97] : (byte) ('a' + i % 26);
        }
        return b;
    }

    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void recordsComeBackExactlyAsProducedAndAreCiphertextOnDisk(String codec) throws Exception {
        String topic = "exact-" + codec;
        String canary = "CANARY-" + UUID.randomUUID();
        kafka.createTopic(topic, 1, Map.of());
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
        long ts = 1_700_000_000_000L;
        int[] sizes = {0, 1, 100, 1024, 64 * 1024, 1024 * 1024 + 100};
        for (int i = 0; i < sizes.length; i++) {
            List<Header> headers = List.of(new RecordHeader("h-" + canary, canary.getBytes(StandardCharsets.UTF_8)),
                    new RecordHeader("empty", new byte[0]), new RecordHeader("nullvalue", null));
            sent.add(new ProducerRecord<>(topic, 0, ts + i, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    payload(canary, sizes[i]), i % 2 == 0 ? headers : List.of()));
        }
        sent.add(new ProducerRecord<>(topic, 0, ts + 100, null, payload(canary, 50))); // no key
        sent.add(new ProducerRecord<>(topic, 0, ts + 101, "gone".getBytes(StandardCharsets.UTF_8), (byte[]) null)); // tombstone
        sent.add(new ProducerRecord<>(topic, 0, ts + 102, "gone2".getBytes(StandardCharsets.UTF_8), null,
                List.of(new RecordHeader("why-" + canary, canary.getBytes(StandardCharsets.UTF_8))))); // tombstone + headers

        List<Long> offsets = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(),
                Map.of("compression.type", codec, "acks", "all"))) {
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> r : sent) {
                fs.add(producer.send(r));
            }
            for (Future<RecordMetadata> f : fs) {
                offsets.add(f.get().offset());
            }
        }

        List<Seen> expected = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            ProducerRecord<byte[], byte[]> r = sent.get(i);
            List<String> hs = new ArrayList<>();
            for (Header h : r.headers()) {
                hs.add(h.key() + "=" + (h.value() == null ? "<null>" : Arrays.toString(h.value())));
            }
            expected.add(new Seen(offsets.get(i), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                    r.value(), hs, r.timestamp()));
        }

        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of(topic));
            List<Seen> got = Clients.poll(consumer, sent.size(), Duration.ofSeconds(30)).stream().map(Seen::of).toList();
            assertThat(got).containsExactlyElementsOf(expected);
        }

        // A consumer that bypasses the proxy sees only envelopes: one marker header, no canary anywhere.
        try (KafkaConsumer<byte[], byte[]> direct = Clients.consumer(kafka.bootstrapServers(), Map.of())) {
            direct.subscribe(List.of(topic));
            List<ConsumerRecord<byte[], byte[]>> raw = Clients.poll(direct, sent.size(), Duration.ofSeconds(30));
            assertThat(raw).hasSize(sent.size());
            byte[] c = canary.getBytes(StandardCharsets.UTF_8);
            for (ConsumerRecord<byte[], byte[]> r : raw) {
                if (r.value() != null) {
                    assertThat(AtRest.indexOf(r.value(), c)).isEqualTo(-1);
                    assertThat(r.headers().toArray()).extracting(Header::key).containsExactly(RecordEncryption.MARKER);
                }
                for (Header h : r.headers()) {
                    assertThat(h.key()).doesNotContain(canary);
                    assertThat(h.value() == null ? -1 : AtRest.indexOf(h.value(), c)).isEqualTo(-1);
                }
            }
        }
        assertThat(AtRest.filesContaining(kafka.logDirs(), canary)).isEmpty();
    }

    @Test
    void transactionalProducerReadCommittedSeesExactlyTheCommittedRecords() throws Exception {
        String topic = "txn";
        kafka.createTopic(topic, 2, Map.of());
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(),
                Map.of("transactional.id", "tx-" + UUID.randomUUID(), "compression.type", "lz4"))) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("committed-a-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("aborted-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("committed-b-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.commitTransaction();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(),
                Map.of("isolation.level", "read_committed"))) {
            consumer.subscribe(List.of(topic));
            List<String> got = Clients.poll(consumer, 15, Duration.ofSeconds(30)).stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
            // Keep polling briefly: an aborted record showing up late would be a failure.
            got = new ArrayList<>(got);
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                got.add(new String(r.value(), StandardCharsets.UTF_8));
            }
            assertThat(got).hasSize(15).allMatch(s -> s.startsWith("committed-")).doesNotHaveDuplicates();
        }
    }

    @Test
    void idempotentProducerAndConsumerGroupShareTheWork() throws Exception {
        String topic = "group";
        kafka.createTopic(topic, 4, Map.of());
        int n = 2000;
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(),
                Map.of("enable.idempotence", true, "acks", "all", "max.in.flight.requests.per.connection", 5))) {
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8),
                        ("v" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        String group = "shared-" + UUID.randomUUID();
        Map<String, Object> props = new HashMap<>(Map.of("group.id", group, "max.poll.records", 100, "group.protocol", "consumer"));
        try (KafkaConsumer<byte[], byte[]> a = Clients.consumer(proxy.bootstrapServers(), props);
             KafkaConsumer<byte[], byte[]> b = Clients.consumer(proxy.bootstrapServers(), props)) {
            a.subscribe(List.of(topic));
            b.subscribe(List.of(topic));
            List<String> got = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
            while (got.size() < n && System.nanoTime() < deadline) {
                a.poll(Duration.ofMillis(100)).forEach(r -> got.add(new String(r.value(), StandardCharsets.UTF_8)));
                b.poll(Duration.ofMillis(100)).forEach(r -> got.add(new String(r.value(), StandardCharsets.UTF_8)));
            }
            a.commitSync();
            b.commitSync();
            assertThat(got).hasSize(n).doesNotHaveDuplicates();
            assertThat(a.assignment().size() + b.assignment().size()).isEqualTo(4);
        }
    }

    @Test
    void kmsCallsScaleWithDeksNotRecords() throws Exception {
        String topic = "kms-calls";
        kafka.createTopic(topic, 1, Map.of());
        int generatedBefore = kms.generated.get();
        int unwrappedBefore = kms.unwrapped.get();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            for (int i = 0; i < 500; i++) {
                producer.send(new ProducerRecord<>(topic, ("v" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of(topic));
            assertThat(Clients.poll(consumer, 500, Duration.ofSeconds(30))).hasSize(500);
        }
        assertThat(kms.generated.get() - generatedBefore).isEqualTo(1);
        assertThat(kms.unwrapped.get() - unwrappedBefore).isLessThanOrEqualTo(1);
    }

    @Test
    void recordWrittenAroundTheProxyFailsTheFetchAndIsCounted() throws Exception {
        String topic = "injected";
        kafka.createTopic(topic, 1, Map.of());
        try (KafkaProducer<byte[], byte[]> direct = Clients.producer(kafka.bootstrapServers(), Map.of())) {
            direct.send(new ProducerRecord<>(topic, "plaintext behind the proxy".getBytes(StandardCharsets.UTF_8))).get();
        }
        long before = proxy.metrics().unencryptedRecordsRejected();
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of(topic));
            assertThatThrownBy(() -> Clients.poll(consumer, 1, Duration.ofSeconds(30)))
                    .isInstanceOf(KafkaException.class).hasMessageContaining("corrupt message");
        }
        assertThat(proxy.metrics().unencryptedRecordsRejected()).isGreaterThan(before);
    }

    @Test
    void lockedClusterRefusesProduceAndFetchAtOnceAndHoldsNoDeks() throws Exception {
        String topic = "locking";
        kafka.createTopic(topic, 1, Map.of());
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>(topic, "before".getBytes(StandardCharsets.UTF_8))).get();
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                consumer.subscribe(List.of(topic));
                assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30))).hasSize(1);
            }
            assertThat(proxy.dekCount()).isPositive();

            proxy.lock();
            try {
                assertThat(proxy.dekCount()).isZero();
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "during".getBytes(StandardCharsets.UTF_8))).get())
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
                try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                    consumer.subscribe(List.of(topic));
                    assertThatThrownBy(() -> Clients.poll(consumer, 1, Duration.ofSeconds(20)))
                            .isInstanceOf(TopicAuthorizationException.class);
                }
                assertThat(proxy.dekCount()).isZero();
            } finally {
                proxy.unlock();
            }
        }
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            producer.send(new ProducerRecord<>(topic, "after".getBytes(StandardCharsets.UTF_8))).get();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of(topic));
            assertThat(Clients.poll(consumer, 2, Duration.ofSeconds(30))).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("before", "after");
        }
    }

    @Test
    void compactedTopicCompactsByKeyAndTombstonesRemoveKeys() throws Exception {
        String topic = "compacted";
        kafka.createTopic(topic, 1, Map.of("cleanup.policy", "compact", "segment.ms", "100",
                "min.cleanable.dirty.ratio", "0.001", "delete.retention.ms", "100", "min.compaction.lag.ms", "0"));
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            for (int round = 0; round < 5; round++) {
                for (int k = 0; k < 3; k++) {
                    producer.send(new ProducerRecord<>(topic, ("key" + k).getBytes(StandardCharsets.UTF_8),
                            ("value" + k + "-" + round).getBytes(StandardCharsets.UTF_8))).get();
                }
            }
            producer.send(new ProducerRecord<>(topic, "key2".getBytes(StandardCharsets.UTF_8), (byte[]) null)).get();
            // Segments roll on the next append after segment.ms; keep appending an unrelated key
            // until the cleaner has removed the overwritten values.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<String> latest = List.of();
            while (System.nanoTime() < deadline) {
                Thread.sleep(300);
                producer.send(new ProducerRecord<>(topic, "tick".getBytes(StandardCharsets.UTF_8), "t".getBytes(StandardCharsets.UTF_8))).get();
                try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
                    consumer.subscribe(List.of(topic));
                    List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
                    long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                    while (System.nanoTime() < end) {
                        consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                        if (!all.isEmpty() && consumer.assignment().stream().allMatch(tp ->
                                consumer.position(tp) >= consumer.endOffsets(List.of(tp)).get(tp))) {
                            break;
                        }
                    }
                    latest = all.stream().filter(r -> !new String(r.key(), StandardCharsets.UTF_8).equals("tick"))
                            .map(r -> new String(r.key(), StandardCharsets.UTF_8) + "=" + (r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8)))
                            .toList();
                }
                if (latest.size() <= 3) {
                    break;
                }
            }
            // Compaction kept only the latest value per key (the tombstone may still be there, or gone).
            assertThat(latest).contains("key0=value0-4", "key1=value1-4")
                    .doesNotContain("key0=value0-0", "key1=value1-3", "key2=value2-4");
        }
    }

    @Test
    void kcatProducesAndConsumesThroughTheProxy() throws Exception {
        String kcat = Commands.kcat();
        String topic = "kcat";
        String canary = "KCAT-CANARY-" + UUID.randomUUID();
        kafka.createTopic(topic, 1, Map.of());
        String input = "k1:" + canary + "-one\nk2:" + canary + "-two\n";
        Commands.run(input, kcat, "-b", proxy.bootstrapServers(), "-P", "-t", topic, "-K:", "-H", "origin=kcat", "-z", "lz4");
        String out = Commands.run("", kcat, "-b", proxy.bootstrapServers(), "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                "-f", "%k|%s|%h\\n");
        assertThat(out.lines().toList()).containsExactly("k1|" + canary + "-one|origin=kcat", "k2|" + canary + "-two|origin=kcat");
        assertThat(AtRest.filesContaining(kafka.logDirs(), canary)).isEmpty();
    }

    @Test
    void verifyAtRestFindsPlaintextEvenInCompressedBatchesAndNotWhatTheProxyWrote() throws Exception {
        String topic = "verify";
        String secret = "VERIFY-PLAIN-" + UUID.randomUUID();
        String hidden = "VERIFY-HIDDEN-" + UUID.randomUUID();
        kafka.createTopic(topic, 1, Map.of());
        try (KafkaProducer<byte[], byte[]> direct = Clients.producer(kafka.bootstrapServers(), Map.of("compression.type", "gzip"))) {
            direct.send(new ProducerRecord<>(topic, (secret + " written around the proxy").getBytes(StandardCharsets.UTF_8))).get();
        }
        try (KafkaProducer<byte[], byte[]> viaProxy = Clients.producer(proxy.bootstrapServers(), Map.of())) {
            viaProxy.send(new ProducerRecord<>(topic, hidden.getBytes(StandardCharsets.UTF_8))).get();
        }
        List<String> args = new ArrayList<>();
        for (Path dir : kafka.logDirs()) {
            args.add("--log-dir");
            args.add(dir.toString());
        }
        java.io.StringWriter out = new java.io.StringWriter();
        List<String> found = new ArrayList<>(args);
        found.addAll(List.of("--needle", secret));
        picocli.CommandLine cmd = new picocli.CommandLine(new io.keyhold.proxy.cli.VerifyAtRestCommand());
        cmd.setOut(new java.io.PrintWriter(out));
        assertThat(cmd.execute(found.toArray(String[]::new))).isEqualTo(1);
        assertThat(out.toString()).contains("FOUND").contains("gzip-compressed batch");

        List<String> notFound = new ArrayList<>(args);
        notFound.addAll(List.of("--needle", hidden));
        java.io.StringWriter out2 = new java.io.StringWriter();
        picocli.CommandLine cmd2 = new picocli.CommandLine(new io.keyhold.proxy.cli.VerifyAtRestCommand());
        cmd2.setOut(new java.io.PrintWriter(out2, true));
        cmd2.setErr(new java.io.PrintWriter(out2, true));
        assertThat(cmd2.execute(notFound.toArray(String[]::new))).as(out2::toString).isZero();
    }

    @Test
    void tlsOnBothSidesOfTheProxy(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        boolean haveOpenssl = Files.isExecutable(Path.of("/usr/bin/openssl"));
        assertThat(haveOpenssl).as("this test makes its certificate with openssl: apt-get install openssl (.ci/run does)").isTrue();
        Path cert = dir.resolve("proxy.pem");
        Path key = dir.resolve("proxy.key");
        Commands.run("", "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        String topic = "tls";
        kafka.createTopic(topic, 1, Map.of());
        // Proxy A terminates client TLS in front of the broker; proxy B reaches A over upstream TLS.
        // A client of B therefore crosses both TLS legs (and both proxies' encryption layers).
        try (KeyholdProxy a = KeyholdProxy.start(ProxyConfig.builder("tls-a", List.of(kafka.bootstrapServers()), "kek-a")
                .clientTls(TlsSettings.server(cert, key)).build(), kms);
             KeyholdProxy b = KeyholdProxy.start(ProxyConfig.builder("tls-b", List.of(a.bootstrapServers()), "kek-b")
                .upstreamTls(TlsSettings.client(cert)).build(), new TestKms())) {
            Map<String, Object> ssl = Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                    "ssl.truststore.location", cert.toString());
            try (KafkaProducer<byte[], byte[]> viaA = Clients.producer(a.bootstrapServers(), ssl)) {
                viaA.send(new ProducerRecord<>(topic, "over-tls".getBytes(StandardCharsets.UTF_8))).get();
            }
            try (KafkaProducer<byte[], byte[]> viaB = Clients.producer(b.bootstrapServers(), Map.of())) {
                viaB.send(new ProducerRecord<>(topic, "through-both".getBytes(StandardCharsets.UTF_8))).get();
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(a.bootstrapServers(), ssl)) {
                consumer.subscribe(List.of(topic));
                List<ConsumerRecord<byte[], byte[]>> got = Clients.poll(consumer, 2, Duration.ofSeconds(30));
                assertThat(got).hasSize(2);
                assertThat(new String(got.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("over-tls");
                // The second record still carries proxy B's layer when read through A alone.
                assertThat(got.get(1).headers().lastHeader(RecordEncryption.MARKER)).isNotNull();
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(b.bootstrapServers(),
                    Map.of("max.poll.records", 1))) {
                consumer.assign(List.of(new org.apache.kafka.common.TopicPartition(topic, 0)));
                consumer.seek(new org.apache.kafka.common.TopicPartition(topic, 0), 1);
                List<ConsumerRecord<byte[], byte[]>> got = Clients.poll(consumer, 1, Duration.ofSeconds(30));
                assertThat(got).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("through-both");
            }
        }
    }

    @Test
    void standaloneProxyCommandServesAClusterWithTheLocalKms(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (io.keyhold.kms.local.LocalKms local = io.keyhold.kms.local.LocalKms.open(
                io.keyhold.kms.local.LocalKmsOptions.of(dir.resolve("data"), "test passphrase".toCharArray()))) {
            local.create("standalone-key");
        }
        Files.writeString(dir.resolve("passphrase.txt"), "test passphrase");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, String.join("\n",
                "kms:",
                "  provider: local",
                "  settings:",
                "    data-dir: data",
                "    passphrase-file: passphrase.txt",
                "clusters:",
                "  - id: standalone",
                "    upstream: " + kafka.bootstrapServers(),
                "    key: standalone-key",
                "    listen: 127.0.0.1:" + port,
                ""));
        // Relative paths in proxy.yaml are resolved against its directory; the local KMS takes them as given.
        Files.writeString(config, Files.readString(config).replace("data-dir: data", "data-dir: " + dir.resolve("data"))
                .replace("passphrase-file: passphrase.txt", "passphrase-file: " + dir.resolve("passphrase.txt")));
        io.keyhold.proxy.cli.ProxyCommand command = new io.keyhold.proxy.cli.ProxyCommand();
        java.util.concurrent.atomic.AtomicInteger exit = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread t = new Thread(() -> exit.set(new picocli.CommandLine(command).execute("--config", config.toString())));
        t.start();
        try {
            String bootstrap = "127.0.0.1:" + port;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                    break;
                } catch (java.io.IOException e) {
                    assertThat(System.nanoTime()).as("standalone proxy did not start").isLessThan(deadline);
                    assertThat(t.isAlive()).as("standalone proxy exited with " + exit.get()).isTrue();
                    Thread.sleep(100);
                }
            }
            String topic = "standalone";
            kafka.createTopic(topic, 1, Map.of());
            String canary = "STANDALONE-" + UUID.randomUUID();
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(bootstrap, Map.of())) {
                producer.send(new ProducerRecord<>(topic, canary.getBytes(StandardCharsets.UTF_8))).get();
            }
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(bootstrap, Map.of())) {
                consumer.subscribe(List.of(topic));
                assertThat(Clients.poll(consumer, 1, Duration.ofSeconds(30)))
                        .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly(canary);
            }
            assertThat(AtRest.filesContaining(kafka.logDirs(), canary)).isEmpty();
        } finally {
            command.stop();
            t.join(30_000);
        }
        assertThat(exit.get()).isZero();
    }
}
