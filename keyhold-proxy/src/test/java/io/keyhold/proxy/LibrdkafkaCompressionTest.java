package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * librdkafka (through kcat) compresses through the proxy exactly as it does against the broker.
 * librdkafka decides per codec from the broker's ApiVersions ranges whether the broker can take
 * it, and silently sends uncompressed batches when it concludes not; so what is checked is what
 * the broker stored: the codec in every batch's attributes of the partition's log segments.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LibrdkafkaCompressionTest {
    private KafkaTestCluster kafka;
    private KeyholdProxy proxy;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
        proxy = KeyholdProxy.start(ProxyConfig.builder("rdkafka", List.of(kafka.bootstrapServers()), "kek-1").build(), new TestKms());
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

    @ParameterizedTest(name = "kcat -z {0}")
    @ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
    void batchesAreStoredWithTheCodecTheClientAskedFor(String codec) throws Exception {
        String kcat = Commands.kcat();
        CompressionType asked = CompressionType.forName(codec);
        String direct = "rdkafka-direct-" + codec;
        String proxied = "rdkafka-proxied-" + codec;
        kafka.createTopic(direct, 1, Map.of());
        kafka.createTopic(proxied, 1, Map.of());

        // The control: straight to the broker, the batches are stored as asked.
        // librdkafka sends a batch uncompressed when compressing would not make it smaller (a batch of one
        // short line can be that, depending on timing): lingering puts all 200 lines in one batch.
        Commands.run(lines("direct-" + codec, 200), kcat, "-b", kafka.bootstrapServers(), "-P", "-t", direct, "-z", codec,
                "-X", "linger.ms=1000");
        assertThat(codecsOnDisk(direct)).isNotEmpty().containsOnly(asked);

        String canary = "RDKAFKA-" + codec + "-" + UUID.randomUUID();
        String input = lines(canary, 200);
        Commands.run(input, kcat, "-b", proxy.bootstrapServers(), "-P", "-t", proxied, "-z", codec, "-X", "linger.ms=1000");
        assertThat(codecsOnDisk(proxied)).isNotEmpty().containsOnly(asked);

        String out = Commands.run("", kcat, "-b", proxy.bootstrapServers(), "-C", "-t", proxied, "-o", "beginning", "-e", "-q");
        assertThat(out.lines().toList()).containsExactlyElementsOf(input.lines().toList());
        assertThat(AtRest.filesContaining(kafka.logDirs(), canary)).isEmpty();
    }

    private static String lines(String prefix, int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> prefix + "-" + i).collect(Collectors.joining("\n", "", "\n"));
    }

    /** The compression codec of every batch in partition 0 of {@code topic}, in log order. */
    private List<CompressionType> codecsOnDisk(String topic) throws IOException {
        List<CompressionType> codecs = new ArrayList<>();
        for (Path dir : kafka.logDirs()) {
            Path partition = dir.resolve(topic + "-0");
            if (!Files.isDirectory(partition)) {
                continue;
            }
            List<Path> segments;
            try (Stream<Path> files = Files.list(partition)) {
                segments = files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
            }
            for (Path segment : segments) {
                try (FileRecords records = FileRecords.open(segment.toFile())) {
                    for (RecordBatch batch : records.batches()) {
                        codecs.add(batch.compressionType());
                    }
                }
            }
        }
        return codecs;
    }
}
