package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.utils.ByteBufferOutputStream;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.common.utils.Crc32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a produce request's compressed batches can make the proxy decompress and allocate: at most
 * {@code max-decompressed-bytes} of records per request (refused with INVALID_RECORD and a message
 * past it), whatever the records or the codec's own headers declare. Memory is measured as the bytes
 * the proxy's one event loop allocates while handling the request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecompressionLimitProxyTest {
    private static final long LIMIT = 8L * 1024 * 1024;
    /** What handling one refused request may allocate on the event loop: the budget, the frame, some slack. */
    private static final long ALLOCATION_BOUND = 48L * 1024 * 1024;

    private KafkaTestCluster kafka;
    private final TestKms kms = new TestKms();
    private KeyholdProxy proxy;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
        ProxyConfig.Builder b = ProxyConfig.builder("inflate", List.of(kafka.bootstrapServers()), "k");
        b.limits(b.limits().withMaxDecompressedBytes(LIMIT));
        proxy = KeyholdProxy.start(b.build(), TestKms.KIND, kms, kms, 1);
    }

    @AfterAll
    void stop() throws Exception {
        proxy.close();
        kafka.close();
        kms.close();
    }

    @Test
    void recordsThatDecompressToMoreThanTheLimitAreRefusedWithAMessageAndNothingIsWritten() throws Exception {
        String topic = "zeros";
        kafka.createTopic(topic, 1, Map.of());
        // 64 MiB of zeros: a few kilobytes as zstd.
        byte[] zeros = new byte[1024 * 1024];
        SimpleRecord[] records = new SimpleRecord[64];
        for (int i = 0; i < records.length; i++) {
            records[i] = new SimpleRecord(zeros);
        }
        MemoryRecords batch = MemoryRecords.withRecords(Compression.zstd().build(), records);
        assertThat(batch.sizeInBytes()).isLessThan(64 * 1024);

        Refusal r = produce(topic, batch);
        assertThat(Errors.forCode(r.partition.errorCode())).isEqualTo(Errors.INVALID_RECORD);
        assertThat(r.partition.errorMessage()).contains("decompress to more than " + LIMIT + " bytes")
                .contains("max-decompressed-bytes");
        // Decrypting up to the limit costs about eight bytes of (short-lived) allocation per byte:
        // proportional to the limit, never to what the records would inflate to.
        assertThat(r.allocated).as("bytes allocated on the event loop").isLessThan(16 * LIMIT);
        try (KafkaConsumer<byte[], byte[]> direct = Clients.consumer(kafka.bootstrapServers(), Map.of())) {
            assertThat(direct.endOffsets(List.of(new TopicPartition(topic, 0)))).containsValue(0L);
        }
    }

    @Test
    void aRecordDeclaringTwoGibibytesAllocatesNothingLikeIt() throws Exception {
        ByteBuffer size = ByteBuffer.allocate(5);
        ByteUtils.writeVarint(Integer.MAX_VALUE, size);
        Refusal r = produce("declared", batch(CompressionType.ZSTD, compress(CompressionType.ZSTD, java.util.Arrays.copyOf(size.array(),
                size.position() + 16))));
        assertThat(Errors.forCode(r.partition.errorCode())).isEqualTo(Errors.INVALID_RECORD);
        assertThat(r.allocated).isLessThan(ALLOCATION_BOUND);
    }

    @ParameterizedTest
    @ValueSource(ints = {512 * 1024 * 1024, 100})
    void aSnappyChunkDeclaringHundredsOfMebibytesIsRefusedBeforeSnappyAllocatesThem(int chunkLength) throws Exception {
        // snappy-java's stream header, then one chunk: its length, then raw snappy whose varint says 500 MiB uncompressed
        ByteBuffer stream = ByteBuffer.allocate(16 + 4 + 100);
        stream.put(new byte[] {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}).putInt(1).putInt(1);
        stream.putInt(chunkLength);
        int uncompressed = 500 * 1024 * 1024;
        for (int v = uncompressed; ; v >>>= 7) {
            if ((v & ~0x7f) == 0) {
                stream.put((byte) v);
                break;
            }
            stream.put((byte) ((v & 0x7f) | 0x80));
        }
        Refusal r = produce("snappy-" + (chunkLength > 1000 ? "long" : "short"), batch(CompressionType.SNAPPY, stream.array()));
        assertThat(Errors.forCode(r.partition.errorCode())).isIn(Errors.INVALID_RECORD, Errors.CORRUPT_MESSAGE);
        assertThat(r.allocated).isLessThan(ALLOCATION_BOUND);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
    void compressedBatchesWithinTheLimitGoThroughAsBefore(String codec) throws Exception {
        String topic = "ok-" + codec;
        kafka.createTopic(topic, 1, Map.of());
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(proxy.bootstrapServers(),
                Map.of("compression.type", codec, "linger.ms", 50))) {
            for (int i = 0; i < 200; i++) {
                String v = codec + " record " + i + " " + "x".repeat(i * 10);
                sent.add(v);
                producer.send(new ProducerRecord<>(topic, v.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(proxy.bootstrapServers(), Map.of())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            assertThat(Clients.poll(consumer, 200, Duration.ofSeconds(30)))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactlyElementsOf(sent);
        }
    }

    private record Refusal(ProduceResponseData.PartitionProduceResponse partition, long allocated) {
    }

    /** Sends one Produce v12 with {@code records} for partition 0 of {@code topic}; its answer and what the loop allocated meanwhile. */
    private Refusal produce(String topic, MemoryRecords records) throws Exception {
        ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5_000);
        data.topicData().add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        try (RawKafka c = RawKafka.connect(proxy.bootstrapAddress())) {
            c.timeout(60_000);
            long before = allocatedByEventLoop();
            ProduceResponse resp = (ProduceResponse) c.exchange(new ProduceRequest.Builder((short) 3, (short) 12, data), (short) 12, 5);
            long allocated = allocatedByEventLoop() - before;
            System.out.printf("%s: %d bytes allocated on the event loop%n", topic, allocated);
            return new Refusal(resp.data().responses().iterator().next().partitionResponses().get(0), allocated);
        }
    }

    /** Bytes allocated so far by the proxy's event-loop thread (one: the proxy runs with one loop). */
    private long allocatedByEventLoop() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("keyhold-proxy-inflate-")) {
                sum += threads.getThreadAllocatedBytes(t.getId());
            }
        }
        return sum;
    }

    /** {@code plain} compressed with {@code type}, as Kafka writes record batch payloads. */
    private static byte[] compress(CompressionType type, byte[] plain) throws Exception {
        ByteBufferOutputStream out = new ByteBufferOutputStream(256);
        try (OutputStream c = Compression.of(type).build().wrapForOutput(out, RecordBatch.MAGIC_VALUE_V2)) {
            c.write(plain);
        }
        ByteBuffer b = out.buffer().flip();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    /** A v2 batch of one record whose records section is {@code payload} as it is, with a valid CRC. */
    private static MemoryRecords batch(CompressionType type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(61 + payload.length);
        b.putLong(0).putInt(61 - 12 + payload.length).putInt(-1).put(RecordBatch.MAGIC_VALUE_V2).putInt(0)
                .putShort((short) type.id).putInt(0).putLong(System.currentTimeMillis()).putLong(System.currentTimeMillis())
                .putLong(-1).putShort((short) -1).putInt(-1).putInt(1).put(payload);
        b.flip();
        b.putInt(17, (int) Crc32C.compute(b, 21, b.limit() - 21));
        return MemoryRecords.readableRecords(b);
    }
}
