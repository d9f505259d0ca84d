package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.proxy.internal.ProxyServer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * Property tests of the proxy's frame handling against a real broker: random, truncated,
 * oversized and garbled frames never take the proxy down, and never leak buffers; after every
 * try a well-formed request on a new connection is still answered. Produce requests of real record
 * batches (every codec, up to the frame limit) with damaged records reach the record parsers: they
 * are answered or end their own connection only, never hang, never surface as an unhandled
 * exception, and never put a record on the broker unencrypted.
 */
class FrameFuzzTest {
    private static final int MAX_FRAME = 64 * 1024;
    private static final String FUZZ_TOPIC = "fuzz-produce";
    private static final String FETCH_TOPIC = "fuzz-fetch";
    /** Records as the proxy encrypted them for {@link #FETCH_TOPIC} (read from the broker), and their plaintext values. */
    private static final List<SimpleRecord> SEALED = new java.util.ArrayList<>();
    private static final List<byte[]> PLAIN = new java.util.ArrayList<>();
    private static KafkaTestCluster kafka;
    private static KeyholdProxy proxy;

    @BeforeContainer
    static void start() {
        kafka = KafkaTestCluster.start(1);
        proxy = KeyholdProxy.start(ProxyConfig.builder("fuzz", List.of(kafka.bootstrapServers()), "kek")
                .maxFrameBytes(MAX_FRAME).build(), new TestKms());
        kafka.createTopic(FUZZ_TOPIC, 1, java.util.Map.of());
        kafka.createTopic(FETCH_TOPIC, 1, java.util.Map.of());
        sealSomeRecords();
    }

    /** Produces records through the proxy and keeps what the broker stored: the material of damaged fetches. */
    private static void sealSomeRecords() {
        java.util.Random random = new java.util.Random(7);
        try (var producer = Clients.producer(proxy.bootstrapServers(), java.util.Map.of())) {
            for (int i = 0; i < 12; i++) {
                byte[] value = new byte[20 + random.nextInt(3000)];
                random.nextBytes(value);
                PLAIN.add(value);
                var record = new org.apache.kafka.clients.producer.ProducerRecord<>(FETCH_TOPIC, 0, ("k" + i).getBytes(), value);
                if (i % 4 == 0) {
                    record.headers().add("h", ("header " + i).getBytes());
                }
                producer.send(record);
            }
            producer.flush();
        }
        try (var consumer = Clients.consumer(kafka.bootstrapServers(), java.util.Map.of())) {
            consumer.assign(List.of(new org.apache.kafka.common.TopicPartition(FETCH_TOPIC, 0)));
            for (var r : Clients.poll(consumer, PLAIN.size(), java.time.Duration.ofSeconds(30))) {
                SEALED.add(new SimpleRecord(r.timestamp(), r.key(), r.value(), r.headers().toArray()));
            }
        }
        assertThat(SEALED).hasSize(PLAIN.size());
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            if (kafka != null) {
                nothingTheFuzzedProducesLeftOnTheBrokerIsUnencrypted();
            }
        } finally {
            close();
        }
    }

    private static void close() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Property(tries = 100)
    void randomBytesNeverBreakTheProxy(@ForAll("garbage") byte[] bytes) throws Exception {
        sendAndClose(bytes);
        assertStillServes();
    }

    @Property(tries = 100)
    void framesWithAValidHeaderAndGarbledBodyCloseOnlyThatConnection(
            @ForAll("interceptedApis") short apiKey, @ForAll("versions") short version, @ForAll("bodies") byte[] body,
            @ForAll boolean truncate) throws Exception {
        ByteBuffer f = ByteBuffer.allocate(4 + 8 + 2 + body.length);
        f.putInt(8 + 2 + body.length).putShort(apiKey).putShort(version).putInt(42).putShort((short) -1).put(body);
        byte[] frame = f.array();
        if (truncate && frame.length > 5) {
            frame = java.util.Arrays.copyOf(frame, frame.length / 2);
        }
        sendAndClose(frame);
        assertStillServes();
    }

    /** How a Produce request's records get damaged. */
    enum Damage {
        /** A few bytes flipped anywhere in the records. */
        FLIPPED_BYTES,
        /** One 32-bit field set to an extreme value: lengths, counts, offsets, sizes. */
        EXTREME_INT,
        /** Bytes flipped, then the batch CRC made valid again, so the damage reaches the record parser. */
        FLIPPED_BYTES_VALID_CRC,
        /** An extreme 32-bit value, then a valid CRC. */
        EXTREME_INT_VALID_CRC
    }

    @Property(tries = 120)
    void damagedProduceRequestsOfRealBatchesAreAnsweredOrCloseOnlyTheirConnection(
            @ForAll("codecs") CompressionType codec, @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 200) int records,
            @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 16 * 1024) int valueSize, @ForAll Damage damage,
            @ForAll long seed) throws Exception {
        java.util.Random random = new java.util.Random(seed);
        String canary = "fuzz-canary-" + Long.toHexString(random.nextLong());
        int count = records;
        MemoryRecords batch;
        byte[] frame;
        do { // as many records as fit in one frame, so the largest tries are at the limit
            batch = batch(codec, count, valueSize, canary, random);
            frame = produceFrame(batch, 11);
            count = count * 3 / 4;
        } while (frame.length > 4 + MAX_FRAME && count > 0);
        assertThat(frame.length).isLessThanOrEqualTo(4 + MAX_FRAME);
        int recordsEnd = frame.length - 3; // then the tagged fields of partition, topic and request
        int recordsStart = recordsEnd - batch.sizeInBytes();
        damage(frame, recordsStart, recordsEnd, damage, random);
        try (CapturedStderr err = new CapturedStderr();
             RawKafka bystander = RawKafka.connect(proxy.bootstrapAddress());
             RawKafka fuzzed = RawKafka.connect(proxy.bootstrapAddress())) {
            bystander.exchange(new ApiVersionsRequest.Builder(), (short) 3, 1); // connected and served before the damage
            fuzzed.sendRaw(frame);
            String outcome;
            try {
                ProduceResponse answer = (ProduceResponse) fuzzed.receive(ApiKeys.PRODUCE, (short) 12, 11);
                outcome = answer.errorCounts().keySet().toString();
            } catch (java.io.EOFException | java.net.SocketException closed) {
                outcome = "closed"; // the proxy (or the broker behind it) ended this connection: allowed
            } catch (SocketTimeoutException hung) {
                throw new AssertionError("a damaged produce (" + damage + ", " + codec + ") got neither an answer nor a close", hung);
            }
            net.jqwik.api.statistics.Statistics.collect(damage, outcome);
            assertThat(bystander.exchange(new ApiVersionsRequest.Builder(), (short) 3, 2))
                    .as("another client's connection is still served").isInstanceOf(ApiVersionsResponse.class);
            // The in-JVM broker logs its own refusals at ERROR; only the proxy's and Netty's lines count here.
            assertThat(err.text().lines().filter(l -> l.contains("Exception in thread") || l.contains("reached at the tail of the pipeline")
                    || l.contains(" ERROR io.keyhold") || l.contains(" WARN io.netty") || l.contains(" ERROR io.netty")))
                    .as("nothing unhandled on the event loops").isEmpty();
        }
    }

    /**
     * The fetch side: batches of records the proxy encrypted, damaged and written straight to the
     * broker (as whoever holds the brokers could), then fetched through the proxy. The fetch fails
     * with an error or returns exactly the values that were produced, never altered plaintext; it
     * never hangs, nothing surfaces unhandled, and other connections are served.
     */
    @Property(tries = 40)
    void damagedEncryptedBatchesOnTheBrokerFetchAsAnErrorOrAsWhatWasProduced(@ForAll("codecs") CompressionType codec,
            @ForAll boolean flipBytes, @ForAll long seed) throws Exception {
        // The CRC is always made valid again: the broker refuses a batch that fails it, so nothing would be fetched.
        Damage damage = flipBytes ? Damage.FLIPPED_BYTES_VALID_CRC : Damage.EXTREME_INT_VALID_CRC;
        java.util.Random random = new java.util.Random(seed);
        MemoryRecords batch = MemoryRecords.withRecords(Compression.of(codec).build(), SEALED.toArray(new SimpleRecord[0]));
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(FETCH_TOPIC).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch))));
        byte[] frame = RawKafka.frame(new ProduceRequest.Builder((short) 3, (short) 12, data), (short) 12, 21);
        damage(frame, frame.length - 3 - batch.sizeInBytes(), frame.length - 3, damage, random);
        long baseOffset;
        try (RawKafka broker = RawKafka.connect(new java.net.InetSocketAddress(brokerHost(), brokerPort()))) {
            broker.sendRaw(frame);
            ProduceResponse answer = (ProduceResponse) broker.receive(ApiKeys.PRODUCE, (short) 12, 21);
            var partition = answer.data().responses().iterator().next().partitionResponses().get(0);
            if (partition.errorCode() != 0) {
                net.jqwik.api.statistics.Statistics.collect(damage, "broker refused");
                return; // the broker would not store it: nothing to fetch
            }
            baseOffset = partition.baseOffset();
        }
        String outcome;
        try (CapturedStderr err = new CapturedStderr();
             RawKafka bystander = RawKafka.connect(proxy.bootstrapAddress());
             var consumer = Clients.consumer(proxy.bootstrapServers(), java.util.Map.of())) {
            bystander.exchange(new ApiVersionsRequest.Builder(), (short) 3, 1);
            org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(FETCH_TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, baseOffset);
            List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> got = new java.util.ArrayList<>();
            outcome = null;
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
            while (outcome == null && System.nanoTime() < deadline) {
                try {
                    for (var r : consumer.poll(java.time.Duration.ofMillis(200))) {
                        if (r.offset() < baseOffset + SEALED.size()) {
                            got.add(r);
                        }
                    }
                    if (got.size() == SEALED.size()) {
                        outcome = "decrypted";
                    }
                } catch (org.apache.kafka.common.KafkaException refused) {
                    outcome = "refused";
                }
            }
            assertThat(outcome).as("the fetch of a damaged batch (%s, %s) neither failed nor returned its records", damage, codec)
                    .isNotNull();
            for (var r : got) {
                int i = (int) (r.offset() - baseOffset);
                assertThat(r.value()).as("record %d of a damaged batch (%s, %s) came back", i, damage, codec).isEqualTo(PLAIN.get(i));
            }
            assertThat(bystander.exchange(new ApiVersionsRequest.Builder(), (short) 3, 2)).isInstanceOf(ApiVersionsResponse.class);
            assertThat(err.text().lines().filter(l -> l.contains("Exception in thread") || l.contains("reached at the tail of the pipeline")
                    || l.contains(" ERROR io.keyhold") || l.contains(" WARN io.netty") || l.contains(" ERROR io.netty")))
                    .as("nothing unhandled on the event loops").isEmpty();
        }
        net.jqwik.api.statistics.Statistics.collect(damage, outcome);
    }

    /**
     * Every record the fuzzed produces left on the broker went through encryption (read around the
     * proxy): it carries the marker, or it is a bare tombstone (no value, no headers), which has
     * nothing to hide. Checked once all properties have run.
     */
    private static void nothingTheFuzzedProducesLeftOnTheBrokerIsUnencrypted() {
        try (var consumer = Clients.consumer(kafka.bootstrapServers(), java.util.Map.of())) {
            org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(FUZZ_TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (var r : consumer.poll(java.time.Duration.ofMillis(500))) {
                    boolean bareTombstone = r.value() == null && !r.headers().iterator().hasNext();
                    assertThat(bareTombstone || r.headers().lastHeader(io.keyhold.proxy.internal.RecordEncryption.MARKER) != null)
                            .as("record at offset %d is marked encrypted", r.offset()).isTrue();
                    if (r.value() != null) {
                        assertThat(new String(r.value(), java.nio.charset.StandardCharsets.ISO_8859_1))
                                .as("record at offset %d", r.offset()).doesNotContain("fuzz-canary-");
                    }
                }
            }
        }
    }

    /** {@code count} records of {@code valueSize} random bytes after the canary; some with a header, some tombstones. */
    private static MemoryRecords batch(CompressionType codec, int count, int valueSize, String canary, java.util.Random random) {
        SimpleRecord[] rs = new SimpleRecord[count];
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[canary.length() + valueSize];
            random.nextBytes(value);
            System.arraycopy(canary.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, value, 0, canary.length());
            org.apache.kafka.common.header.Header[] headers = i % 3 == 0
                    ? new org.apache.kafka.common.header.Header[] {new org.apache.kafka.common.header.internals.RecordHeader("h", value)}
                    : new org.apache.kafka.common.header.Header[0];
            rs[i] = new SimpleRecord(System.currentTimeMillis(), ("k" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    i % 7 == 6 ? null : value, headers);
        }
        return MemoryRecords.withRecords(Compression.of(codec).build(), rs);
    }

    private static byte[] produceFrame(MemoryRecords batch, int correlationId) {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(FUZZ_TOPIC).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch))));
        return RawKafka.frame(new ProduceRequest.Builder((short) 3, (short) 12, data), (short) 12, correlationId);
    }

    private static void damage(byte[] frame, int from, int to, Damage damage, java.util.Random random) {
        int span = to - from;
        switch (damage) {
            case FLIPPED_BYTES, FLIPPED_BYTES_VALID_CRC -> {
                for (int i = 1 + random.nextInt(8); i > 0; i--) {
                    frame[from + random.nextInt(span)] ^= (byte) (1 + random.nextInt(255));
                }
            }
            case EXTREME_INT, EXTREME_INT_VALID_CRC -> {
                int[] extremes = {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 0, 1, span, span + 1, MAX_FRAME, 128 * 1024 * 1024 + 1};
                int at = from + random.nextInt(Math.max(1, span - 3));
                ByteBuffer.wrap(frame).putInt(at, extremes[random.nextInt(extremes.length)]);
            }
        }
        if (damage == Damage.FLIPPED_BYTES_VALID_CRC || damage == Damage.EXTREME_INT_VALID_CRC) {
            // The batch CRC (at 17) covers from its attributes (at 21) to the end of the batch.
            long crc = org.apache.kafka.common.utils.Crc32C.compute(frame, from + 21, span - 21);
            ByteBuffer.wrap(frame).putInt(from + 17, (int) crc);
        }
    }

    @Provide
    Arbitrary<CompressionType> codecs() {
        return Arbitraries.of(CompressionType.NONE, CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY,
                CompressionType.LZ4, CompressionType.ZSTD);
    }

    @Property(tries = 20)
    void oversizedFrameClosesTheConnectionWithoutBufferingIt(@ForAll("oversize") int size) throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(ByteBuffer.allocate(4).putInt(size).array());
            out.write(new byte[1024]);
            out.flush();
            assertThat(s.getInputStream().read()).isEqualTo(-1); // closed by the proxy
        }
        assertStillServes();
    }

    @Property(tries = 1)
    void noBuffersLeakAcrossManyBadConnections() throws Exception {
        // 400 bad connections per round: leaking even one buffer per connection would add 400 in
        // every round; caches filling up add some in one round and nothing in the next.
        assertLiveBuffersStopGrowing(100, round -> {
            for (int i = 0; i < 200; i++) {
                ByteBuffer f = ByteBuffer.allocate(40).putInt(36).putShort(ApiKeys.PRODUCE.id).putShort((short) 9).putInt(i)
                        .putShort((short) -1);
                sendAndClose(f.array(), 0);
                sendAndClose(new byte[] {0, 0, 0, 9, 0, 3, 0, 12, 0, 0}, 0);
            }
            assertStillServes();
        });
    }

    @Property(tries = 1)
    void noBuffersLeakAcrossRealProduceAndFetch() throws Exception {
        // The record path at work: every round produces and consumes encrypted batches
        // (uncompressed and lz4) through the proxy, hundreds of frames and rebuilt batches; a leak
        // of any of them would grow every round by at least the number of requests.
        assertLiveBuffersStopGrowing(10, round -> {
            String topic = "leak-" + round;
            for (String codec : List.of("none", "lz4")) {
                try (var producer = Clients.producer(proxy.bootstrapServers(), java.util.Map.of("compression.type", codec))) {
                    for (int i = 0; i < 300; i++) {
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, ("k" + i).getBytes(),
                                new byte[1000 + i]));
                    }
                    producer.flush();
                }
            }
            try (var consumer = Clients.consumer(proxy.bootstrapServers(), java.util.Map.of())) {
                consumer.subscribe(List.of(topic));
                assertThat(Clients.poll(consumer, 600, java.time.Duration.ofSeconds(30))).hasSize(600);
            }
        });
    }

    /** One round of traffic through the proxy. */
    private interface Round {
        void run(int round) throws Exception;
    }

    /**
     * Runs five rounds and compares the proxy's live pooled buffers after each. Netty's per-thread
     * caches keep freed buffers counted as allocated, so only rounds after the caches have filled
     * are compared: a leak grows with every round, a cache does not.
     */
    private static void assertLiveBuffersStopGrowing(long tolerance, Round round) throws Exception {
        long[] active = new long[5];
        for (int r = 0; r < active.length; r++) {
            round.run(r);
            Thread.sleep(300);
            active[r] = ProxyServer.activeBufferAllocations();
        }
        long smallestGrowth = Long.MAX_VALUE;
        for (int r = 2; r < active.length; r++) {
            smallestGrowth = Math.min(smallestGrowth, active[r] - active[r - 1]);
        }
        assertThat(smallestGrowth).as("live buffers after rounds: %s", java.util.Arrays.toString(active)).isLessThan(tolerance);
    }

    @net.jqwik.api.Example
    void apiVersionsAdvertiseTheBrokersRangesCappedAtWhatTheProxyHandlesAndNoShareGroups() throws Exception {
        ApiVersionsResponseData direct = apiVersions(brokerHost(), brokerPort());
        ApiVersionsResponseData proxied = apiVersions(proxy.bootstrapAddress().getHostString(), proxy.bootstrapAddress().getPort());
        assertThat(proxied.errorCode()).isZero();
        java.util.Map<Short, String> expected = new java.util.TreeMap<>();
        for (ApiVersionsResponseData.ApiVersion v : direct.apiKeys()) {
            ApiKeys api = ApiKeys.forId(v.apiKey());
            if (api != ApiKeys.SHARE_FETCH && api != ApiKeys.SHARE_ACKNOWLEDGE && api != ApiKeys.SHARE_GROUP_HEARTBEAT) {
                // The bottom of every range is the broker's: clients detect features from it.
                expected.put(v.apiKey(), api.name + " " + v.minVersion() + "-" + Math.min(v.maxVersion(), api.latestVersion(true)));
            }
        }
        java.util.Map<Short, String> advertised = new java.util.TreeMap<>();
        for (ApiVersionsResponseData.ApiVersion v : proxied.apiKeys()) {
            advertised.put(v.apiKey(), ApiKeys.forId(v.apiKey()).name + " " + v.minVersion() + "-" + v.maxVersion());
        }
        assertThat(advertised).isEqualTo(expected);
        // librdkafka compresses with gzip, snappy or lz4 only if Produce v0 is in the range (Kafka 4 advertises it).
        assertThat(proxied.apiKeys().find(ApiKeys.PRODUCE.id).minVersion()).isZero();
        assertThat(advertised).doesNotContainKeys(ApiKeys.SHARE_FETCH.id, ApiKeys.SHARE_ACKNOWLEDGE.id,
                ApiKeys.SHARE_GROUP_HEARTBEAT.id);
    }

    /**
     * Requests that neither the broker nor the proxy serves (an unknown API key; Produce v0-v2,
     * advertised but refused; versions past the newest) get from the proxy exactly the bytes the
     * broker sends: none, then the connection closes. A zero-length frame before the close would
     * break clients (the Java client fails to parse it). An ApiVersions request at an unknown
     * version gets the same UNSUPPORTED_VERSION answer from both, and the connection stays open.
     */
    @net.jqwik.api.Example
    void requestsTheBrokerRefusesGetTheBrokersBytesFromTheProxy() throws Exception {
        short newestProduce = ApiKeys.PRODUCE.latestVersion(true);
        java.util.Map<String, byte[]> requests = new java.util.LinkedHashMap<>();
        requests.put("unknown api key 9999", request((short) 9999, (short) 0, new byte[0]));
        byte[] oldProduceBody = ByteBuffer.allocate(10).putShort((short) 1).putInt(1000).putInt(0).array(); // acks, timeout, no topics
        for (short v = 0; v <= 2; v++) {
            requests.put("Produce v" + v, request(ApiKeys.PRODUCE.id, v, oldProduceBody));
        }
        requests.put("Produce v" + (newestProduce + 1), request(ApiKeys.PRODUCE.id, (short) (newestProduce + 1), oldProduceBody));
        byte[] fetchV3Body = ByteBuffer.allocate(20).putInt(-1).putInt(100).putInt(1).putInt(1000).putInt(0).array();
        requests.put("Fetch v3", request(ApiKeys.FETCH.id, (short) 3, fetchV3Body));
        for (java.util.Map.Entry<String, byte[]> r : requests.entrySet()) {
            byte[] fromBroker = exchange(brokerHost(), brokerPort(), r.getValue());
            byte[] fromProxy = exchange(proxy.bootstrapAddress().getHostString(), proxy.bootstrapAddress().getPort(), r.getValue());
            assertThat(java.util.HexFormat.of().formatHex(fromProxy)).as(r.getKey())
                    .isEqualTo(java.util.HexFormat.of().formatHex(fromBroker)).isEmpty();
        }
        // A version past the newest is read with the newest header version: the header's tagged fields come first.
        byte[] apiVersionsV127 = request(ApiKeys.API_VERSIONS.id, (short) 127, new byte[] {0});
        assertThat(java.util.HexFormat.of().formatHex(firstFrame(proxy.bootstrapAddress().getHostString(),
                proxy.bootstrapAddress().getPort(), apiVersionsV127)))
                .isEqualTo(java.util.HexFormat.of().formatHex(firstFrame(brokerHost(), brokerPort(), apiVersionsV127)));
        assertStillServes();
    }

    /** A request frame with a v1 header (no client id) and {@code body}. */
    private static byte[] request(short apiKey, short version, byte[] body) {
        return ByteBuffer.allocate(4 + 10 + body.length).putInt(10 + body.length).putShort(apiKey).putShort(version)
                .putInt(42).putShort((short) -1).put(body).array();
    }

    /** Sends {@code request} and returns every byte read back until the peer closes the connection. */
    private static byte[] exchange(String host, int port, byte[] request) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return s.getInputStream().readAllBytes(); // a timeout here means nobody closed the connection
        }
    }

    /** Sends {@code request} and returns the first frame read back, size prefix included. */
    private static byte[] firstFrame(String host, int port, byte[] request) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            byte[] frame = ByteBuffer.allocate(4 + size).putInt(size).array();
            in.readFully(frame, 4, size);
            return frame;
        }
    }

    private static ApiVersionsResponseData apiVersions(String host, int port) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(10_000);
            RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "versions-check", 9);
            ByteBuffer req = new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("check").setClientSoftwareVersion("1"), (short) 3).serializeWithHeader(header);
            byte[] body = new byte[req.remaining()];
            req.get(body);
            s.getOutputStream().write(ByteBuffer.allocate(4).putInt(body.length).array());
            s.getOutputStream().write(body);
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] frame = new byte[in.readInt()];
            in.readFully(frame);
            ByteBuffer resp = ByteBuffer.wrap(frame);
            assertThat(resp.getInt()).isEqualTo(9); // ApiVersions responses always use header v0
            return new ApiVersionsResponseData(new org.apache.kafka.common.protocol.ByteBufferAccessor(resp), (short) 3);
        }
    }

    private static String brokerHost() {
        String first = kafka.bootstrapServers().split(",")[0];
        return first.substring(0, first.lastIndexOf(':'));
    }

    private static int brokerPort() {
        String first = kafka.bootstrapServers().split(",")[0];
        return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
    }

    @Provide
    Arbitrary<byte[]> garbage() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(300);
    }

    @Provide
    Arbitrary<Short> interceptedApis() {
        return Arbitraries.of(ApiKeys.PRODUCE.id, ApiKeys.FETCH.id, ApiKeys.METADATA.id, ApiKeys.API_VERSIONS.id,
                ApiKeys.FIND_COORDINATOR.id, ApiKeys.DESCRIBE_CLUSTER.id, ApiKeys.CREATE_TOPICS.id, ApiKeys.DELETE_TOPICS.id,
                ApiKeys.DELETE_RECORDS.id, ApiKeys.CREATE_PARTITIONS.id, ApiKeys.ALTER_CONFIGS.id,
                ApiKeys.INCREMENTAL_ALTER_CONFIGS.id, (short) 999, (short) -3);
    }

    @Provide
    Arbitrary<Short> versions() {
        return Arbitraries.shorts().between((short) -2, (short) 20);
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(400);
    }

    @Provide
    Arbitrary<Integer> oversize() {
        return Arbitraries.oneOf(Arbitraries.integers().between(MAX_FRAME + 1, Integer.MAX_VALUE),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1));
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket(proxy.bootstrapAddress().getHostString(), proxy.bootstrapAddress().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static void sendAndClose(byte[] bytes) throws IOException {
        sendAndClose(bytes, 50);
    }

    /** Sends {@code bytes}, reads any answer for up to {@code waitMillis} of silence, then closes. */
    private static void sendAndClose(byte[] bytes, int waitMillis) throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            if (waitMillis == 0) {
                return;
            }
            s.setSoTimeout(waitMillis);
            try {
                InputStream in = s.getInputStream();
                while (in.read() >= 0) {
                    // drain whatever the broker or proxy answers until they close or go quiet
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // quiet (waiting for the rest of a frame) or reset: both fine
            }
        }
    }

    /** A well-formed ApiVersions request on a fresh connection gets its response. */
    private static void assertStillServes() throws IOException {
        try (Socket s = connect()) {
            RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "fuzz-check", 7);
            ByteBuffer req = new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("fuzz").setClientSoftwareVersion("1"), (short) 3).serializeWithHeader(header);
            OutputStream out = s.getOutputStream();
            out.write(ByteBuffer.allocate(4).putInt(req.remaining()).array());
            byte[] body = new byte[req.remaining()];
            req.get(body);
            out.write(body);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int size = in.readInt();
            assertThat(size).isPositive();
            assertThat(in.readInt()).isEqualTo(7);
        }
    }
}
