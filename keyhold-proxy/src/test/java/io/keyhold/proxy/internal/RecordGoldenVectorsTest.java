package io.keyhold.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.ClusterKeyDeks;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekRotationPolicy;
import io.keyhold.crypto.DekUnwrapper;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.crypto.KekRef;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Records stored by earlier proxies must stay readable: these batches were written by record format
 * 1 and 2 and are never regenerated. The format 2 batch is also printed in {@code docs/FORMAT.md}.
 */
class RecordGoldenVectorsTest {
    private final Properties v = new Properties();
    private final HexFormat hex = HexFormat.of();
    private final ProxyCounters counters = new ProxyCounters();
    private DekUnwrapper unwrapper;

    @BeforeEach
    void load() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/golden/records.properties")) {
            v.load(in);
        }
        KekRef kek = new KekRef(v.getProperty("kek.provider"), v.getProperty("kek.key_id"), v.getProperty("kek.key_version"));
        EncryptionContext context = EncryptionContext.forTopic(v.getProperty("cluster"), v.getProperty("topic"));
        unwrapper = (k, edek, c) -> {
            assertThat(k).isEqualTo(kek);
            assertThat(edek).isEqualTo(v.getProperty("edek.ascii").getBytes(StandardCharsets.US_ASCII));
            assertThat(c).isEqualTo(context);
            return CompletableFuture.completedFuture(DataKey.fromBytesWipingSource(hex.parseHex(v.getProperty("dek"))));
        };
    }

    private RecordEncryption proxy(UnencryptedRecordPolicy policy) {
        return proxy(policy, v.getProperty("cluster"), unwrapper);
    }

    private RecordEncryption proxy(UnencryptedRecordPolicy policy, String cluster, DekUnwrapper keys) {
        return proxy(policy, cluster, keys, null);
    }

    /** {@code alsoProvider}: KEKs of that kind are opened too (the cluster keys), or null. */
    private RecordEncryption proxy(UnencryptedRecordPolicy policy, String cluster, DekUnwrapper keys, String alsoProvider) {
        KekPolicy own = KekPolicy.onlyKey(v.getProperty("kek.provider"), v.getProperty("kek.key_id"));
        return new RecordEncryption(new EnvelopeEncryptor(new EncryptionDekCache((k, c) -> new CompletableFuture<>(), DekRotationPolicy.DEFAULT)),
                new EnvelopeDecryptor(new DecryptionDekCache(keys, alsoProvider == null ? own : own.andAnyKeyOf(alsoProvider),
                        10, Duration.ofMinutes(1))),
                v.getProperty("kek.key_id"), cluster, policy, counters);
    }

    private MemoryRecords batch(String name) {
        return MemoryRecords.readableRecords(ByteBuffer.wrap(hex.parseHex(v.getProperty(name))));
    }

    @Test
    void format2DecryptsOnBothPaths() {
        RecordEncryption p = proxy(UnencryptedRecordPolicy.REJECT);
        MemoryRecords plain = batch("plain");
        String topic = v.getProperty("topic");
        assertThat(RecordEncryptionTest.bytes(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(p, topic, batch("v2.sealed")))))
                .isEqualTo(RecordEncryptionTest.bytes(plain));
        MemoryRecords gzipped = RecordEncryptionTest.rebatch(batch("v2.sealed"), CompressionType.GZIP);
        assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(p, topic, gzipped))))
                .isEqualTo(RecordEncryptionTest.records(plain));
        assertThat(counters.decryptionFailures.sum()).isZero();
    }

    @Test
    void format2IsBoundToItsClusterAndTopicEvenByAKmsThatIgnoresContexts() {
        // A KMS that unwraps the DEK whatever the context: the record's own AAD still names cluster and topic.
        DekUnwrapper careless = (k, edek, c) -> CompletableFuture.completedFuture(DataKey.fromBytesWipingSource(hex.parseHex(v.getProperty("dek"))));
        assertThatThrownBy(() -> RecordEncryptionTest.decrypt(proxy(UnencryptedRecordPolicy.REJECT, v.getProperty("cluster"), careless),
                "payments", batch("v2.sealed"))).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> RecordEncryptionTest.decrypt(proxy(UnencryptedRecordPolicy.REJECT, "lkc-other", careless),
                v.getProperty("topic"), batch("v2.sealed"))).isInstanceOf(CryptoException.class);
        assertThat(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(proxy(UnencryptedRecordPolicy.REJECT, v.getProperty("cluster"), careless),
                v.getProperty("topic"), batch("v2.sealed"))).sizeInBytes()).isEqualTo(batch("plain").sizeInBytes());
    }

    @Test
    void format1StillDecrypts() {
        String topic = v.getProperty("topic");
        MemoryRecords plain = batch("plain");
        RecordEncryption transition = proxy(UnencryptedRecordPolicy.REJECT_EXCEPT_BARE_TOMBSTONES);
        assertThat(RecordEncryptionTest.bytes(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(transition, topic, batch("v1.sealed")))))
                .isEqualTo(RecordEncryptionTest.bytes(plain));
        MemoryRecords gzipped = RecordEncryptionTest.rebatch(batch("v1.sealed"), CompressionType.GZIP);
        assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(transition, topic, gzipped))))
                .isEqualTo(RecordEncryptionTest.records(plain));
        // Format 1 stored tombstones without headers bare: under plain reject, that one (offset 104) is refused.
        assertThatThrownBy(() -> RecordEncryptionTest.decrypt(proxy(UnencryptedRecordPolicy.REJECT), topic, batch("v1.sealed")))
                .isInstanceOf(RecordEncryption.UnencryptedRecordException.class).hasMessageContaining("offset 104");
    }

    @Test
    void format2UnderAClusterKeyDecryptsOnBothPathsWithoutTheKms() {
        ClusterKey ck = new ClusterKey(v.getProperty("ck.id"), DataKey.fromBytesWipingSource(hex.parseHex(v.getProperty("ck.key"))));
        ClusterKeyDeks deks = new ClusterKeyDeks(new ClusterKeyDeks.Keyring() {
            @Override
            public CompletionStage<ClusterKey> current() {
                return CompletableFuture.failedFuture(new AssertionError("nothing is encrypted here"));
            }

            @Override
            public CompletionStage<ClusterKey> byId(String id) {
                assertThat(id).isEqualTo(v.getProperty("ck.id"));
                return CompletableFuture.completedFuture(ck);
            }
        }, (k, e, c) -> CompletableFuture.failedFuture(new AssertionError("no KMS call for records under a cluster key")));
        RecordEncryption p = proxy(UnencryptedRecordPolicy.REJECT, v.getProperty("cluster"), deks, ClusterKey.PROVIDER);
        String topic = v.getProperty("topic");
        MemoryRecords plain = batch("plain");
        // ck.sealed: envelope version 1 with 8-byte DEK ids, marker keyhold.enc; compact.sealed: envelope version 2, marker kh.
        for (String sealed : new String[] {"ck.sealed", "compact.sealed"}) {
            assertThat(RecordEncryptionTest.bytes(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(p, topic, batch(sealed)))))
                    .as(sealed).isEqualTo(RecordEncryptionTest.bytes(plain));
            MemoryRecords gzipped = RecordEncryptionTest.rebatch(batch(sealed), CompressionType.GZIP);
            assertThat(RecordEncryptionTest.records(RecordEncryptionTest.take(RecordEncryptionTest.decrypt(p, topic, gzipped))))
                    .as(sealed).isEqualTo(RecordEncryptionTest.records(plain));
        }
        assertThat(batch("compact.sealed").sizeInBytes()).isLessThan(batch("ck.sealed").sizeInBytes() - 5 * 20);
    }

    @Test
    void theDocumentPrintsTheFrozenFormat2Batch() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "FORMAT.md")).replaceAll("\\s+", "");
        assertThat(doc).contains(v.getProperty("v2.sealed")).contains(v.getProperty("plain")).contains(v.getProperty("dek"))
                .contains(v.getProperty("ck.sealed")).contains(v.getProperty("ck.key")).contains(v.getProperty("ck.id"))
                .contains(v.getProperty("compact.sealed"));
    }
}
