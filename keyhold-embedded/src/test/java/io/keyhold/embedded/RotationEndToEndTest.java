package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.crypto.EnvelopeFormat;
import io.keyhold.server.KeyholdServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.record.FileLogInputStream;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation end to end, as {@code keyhold server} runs it with a real broker and real Kafka clients
 * (health interval 1 s): records produced, the key rotated through the API, more records produced;
 * every record reads back byte for byte, the broker's disk holds the first records under version 1
 * and the later ones under version 2, and {@code GET /audit/v1/events} shows each step: the
 * validation, the DEKs generated under each version for the cluster, the rotation with who asked.
 */
class RotationEndToEndTest {
    private static final String KEY = "ROTATEE2EKEY";
    private static final String SECRET = "rotate-e2e-test-secret-0123456789";

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void afterARotationNewRecordsAreUnderTheNewVersionOldOnesStillReadAndTheTrailShowsEveryStep() throws Exception {
        try (RunningServer running = RunningServer.start(KEY, SECRET, dataDir,
                RunningServer.localKmsPassphrase(dataDir, "rotation e2e passphrase"), Map.of(), null, RunningServer.freePortRange())) {
            KeyholdServer server = running.server();
            String url = server.url();
            String env = server.bootstrapEnvironmentId();
            String byok = rest.localKey(url, "orders-kek");
            assertThat(key(url, byok).path("current_version").asText()).isEqualTo("1");

            String cluster = rest.createCluster(url, env, "orders", byok);
            String endpoint = rest.awaitProvisioned(url, RestClient.clusterPath(cluster, env));

            String canary = "rotated-" + UUID.randomUUID();
            List<String> before = List.of(canary + " #1", canary + " #2", canary + " #3");
            List<String> after = List.of(canary + " #4", canary + " #5");
            EmbeddedClustersTest.produce(endpoint, "payments", before.toArray(String[]::new));

            JsonNode rotated = rest.send(url, "POST", "/byok/v1/keys/" + byok + "/rotate", null, 200);
            assertThat(rotated.path("current_version").asText()).isEqualTo("2");
            assertThat(rotated.path("last_rotated_at").asText()).isNotEmpty();
            EmbeddedClustersTest.produce(endpoint, "payments", after.toArray(String[]::new));

            List<String> all = new ArrayList<>(before);
            all.addAll(after);
            assertThat(EmbeddedClustersTest.consume(endpoint, "payments", 5)).as("every record, byte for byte").containsExactlyElementsOf(all);
            Path partition = dataDir.resolve("clusters").resolve(cluster).resolve("kafka").resolve("payments-0");
            // Each record names its cluster key; the cluster key's wrapping in __keyhold_keys names the KMS key version.
            var clusterKeys = StoredEnvelopes.clusterKeys(dataDir.resolve("clusters").resolve(cluster).resolve("kafka"), cluster);
            assertThat(clusterKeysOnDisk(partition).stream().map(ck -> clusterKeys.get(ck).kek().keyVersion()).toList())
                    .as("the key version that wraps the cluster key of each record, in offset order")
                    .containsExactly("1", "1", "1", "2", "2");
            assertThat(clusterKeys.values()).allSatisfy(w -> assertThat(w.kek().keyId()).endsWith("orders-kek"));
            assertThat(OnDisk.plaintext(dataDir.resolve("clusters").resolve(cluster).resolve("kafka"), canary)).isEmpty();

            // the next health checks see the version the rotation recorded: nothing more is noticed
            Thread.sleep(2_500);
            List<JsonNode> events = new ArrayList<>();
            RestClient.await(() -> {
                events.clear();
                rest.send(url, "GET", "/audit/v1/events?page_size=100&key=" + byok, null, 200).path("data").forEach(events::add);
                return events.stream().anyMatch(e -> isCall(e, "generate", "2"));
            }, "a DEK generated under version 2 in the trail", Duration.ofSeconds(20));
            assertThat(events).filteredOn(e -> e.path("event_type").asText().equals("KEY_ROTATED")).singleElement().satisfies(e -> {
                assertThat(e.path("principal").asText()).startsWith("sa-");
                assertThat(e.path("cluster").asText()).isEqualTo(cluster);
                assertThat(e.path("message").asText()).contains("version 1 -> 2").contains(KEY);
            });
            assertThat(events).anySatisfy(e -> assertThat(e.path("event_type").asText()).isEqualTo("KEY_VALIDATED"));
            assertThat(events).anySatisfy(e -> assertThat(isCall(e, "generate", "1")).isTrue());
            assertThat(events).anySatisfy(e -> assertThat(isCall(e, "rotate", "2") && e.path("cluster").isNull()).isTrue());
            assertThat(events).filteredOn(e -> e.path("operation").asText().equals("generate") && cluster.equals(e.path("cluster").asText()))
                    .allSatisfy(e -> assertThat(e.path("process").asText()).startsWith("server@"));
            // newest first: the DEK under version 2 came after the rotation, which came after the DEK under version 1
            int v2 = indexOf(events, e -> isCall(e, "generate", "2") && cluster.equals(e.path("cluster").asText()));
            int rotation = indexOf(events, e -> e.path("event_type").asText().equals("KEY_ROTATED"));
            int v1 = indexOf(events, e -> isCall(e, "generate", "1") && cluster.equals(e.path("cluster").asText()));
            assertThat(v2).isLessThan(rotation);
            assertThat(rotation).isLessThan(v1);
            assertThat(rest.send(url, "GET", "/audit/v1/events?cluster=" + cluster + "&event_type=KMS_CALL", null, 200)
                    .path("metadata").path("total_size").asLong()).isPositive();
        }
    }

    private JsonNode key(String url, String id) throws Exception {
        return rest.send(url, "GET", "/byok/v1/keys/" + id, null, 200);
    }

    private static boolean isCall(JsonNode e, String operation, String version) {
        return e.path("event_type").asText().equals("KMS_CALL") && e.path("operation").asText().equals(operation)
                && e.path("outcome").asText().equals("ok") && e.path("key_version").asText().equals(version);
    }

    private static int indexOf(List<JsonNode> events, java.util.function.Predicate<JsonNode> p) {
        for (int i = 0; i < events.size(); i++) {
            if (p.test(events.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such event in " + events);
    }

    /** The cluster key id named by the envelope of every record in the partition's segments, in offset order. */
    private static List<String> clusterKeysOnDisk(Path partition) throws Exception {
        List<String> versions = new ArrayList<>();
        List<Path> segments;
        try (Stream<Path> files = Files.list(partition)) {
            segments = files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
        }
        for (Path segment : segments) {
            try (FileRecords records = FileRecords.open(segment.toFile(), false)) {
                for (FileLogInputStream.FileChannelRecordBatch batch : records.batches()) {
                    for (Record r : batch) {
                        byte[] value = Utils.toArray(r.value());
                        versions.add(EnvelopeFormat.kekOf(value).keyId());
                    }
                }
            }
        }
        return versions;
    }
}
