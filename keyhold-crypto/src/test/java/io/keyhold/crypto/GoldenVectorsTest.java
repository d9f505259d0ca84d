package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Today's data must stay readable: these bytes were written by format version 1 and are never regenerated. */
class GoldenVectorsTest {
    private final Properties v = new Properties();
    private final HexFormat hex = HexFormat.of();
    private DekUnwrapper unwrapper;
    private KekPolicy policy;
    /** Version 1 records carry no context of their own: a proxy's DEKs are bound to the cluster and topic. */
    private final EncryptionContext context = EncryptionContext.forTopic("cluster-1", "orders");

    @BeforeEach
    void load() throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/golden/envelope-v1.properties")) {
            v.load(in);
        }
        KekRef expected = new KekRef(v.getProperty("kek.provider"), v.getProperty("kek.key_id"), v.getProperty("kek.key_version"));
        byte[] expectedEdek = v.getProperty("edek.ascii").getBytes(StandardCharsets.US_ASCII);
        policy = KekPolicy.onlyKey(expected.provider(), expected.keyId());
        unwrapper = (kek, edek, dekContext) -> {
            assertThat(kek).isEqualTo(expected);
            assertThat(edek).isEqualTo(expectedEdek);
            assertThat(dekContext).isEqualTo(context);
            return CompletableFuture.supplyAsync(() -> DataKey.fromBytesWipingSource(hex.parseHex(v.getProperty("dek"))));
        };
    }

    @Test
    void recordEnvelopeDecrypts() {
        EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(unwrapper, policy, 10, Duration.ofMinutes(1)));
        Aad aad = Aad.of(v.getProperty("record.aad"));
        assertThat(new String(retry(() -> dec.decrypt(hex.parseHex(v.getProperty("record.envelope")), context, aad)), StandardCharsets.UTF_8))
                .isEqualTo(v.getProperty("record.plaintext"));
        assertThat(retry(() -> dec.decrypt(hex.parseHex(v.getProperty("record.empty.envelope")), context, aad))).isEmpty();
        assertThat(EnvelopeFormat.kekOf(hex.parseHex(v.getProperty("record.envelope"))).keyVersion()).isEqualTo("3");
    }

    @Test
    void streamEnvelopeDecrypts() throws Exception {
        byte[] expected = new byte[200];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
        }
        try (InputStream in = StreamingEnvelope.decrypting(new ByteArrayInputStream(hex.parseHex(v.getProperty("stream.envelope"))),
                unwrapper, policy, context, Aad.of(v.getProperty("stream.aad")))) {
            assertThat(in.readAllBytes()).isEqualTo(expected);
        }
    }

    @Test
    void compactRecordEnvelopeDecryptsThroughItsClusterKeyAlone() throws Exception {
        Properties c = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/golden/envelope-v2-compact.properties")) {
            c.load(in);
        }
        ClusterKey ck = new ClusterKey(c.getProperty("ck.id"), DataKey.fromBytesWipingSource(hex.parseHex(c.getProperty("ck.key"))));
        ClusterKeyDeks deks = new ClusterKeyDeks(new ClusterKeyDeks.Keyring() {
            @Override
            public java.util.concurrent.CompletionStage<ClusterKey> current() {
                return CompletableFuture.failedFuture(new AssertionError("nothing is encrypted here"));
            }

            @Override
            public java.util.concurrent.CompletionStage<ClusterKey> byId(String id) {
                assertThat(id).isEqualTo(c.getProperty("ck.id"));
                return CompletableFuture.completedFuture(ck);
            }
        }, (k, e, x) -> CompletableFuture.failedFuture(new AssertionError("no KMS call under a cluster key")));
        EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(deks, KekPolicy.onlyKey("local", "k").andAnyKeyOf(
                ClusterKey.PROVIDER), 10, Duration.ofMinutes(1)));
        EncryptionContext ctx = EncryptionContext.forTopic(c.getProperty("context.cluster"), c.getProperty("context.topic"));
        Aad aad = Aad.of(c.getProperty("record.aad"));
        assertThat(new String(retry(() -> dec.decrypt(hex.parseHex(c.getProperty("record.envelope")), ctx, aad)), StandardCharsets.UTF_8))
                .isEqualTo(c.getProperty("record.plaintext"));
        assertThat(retry(() -> dec.decrypt(hex.parseHex(c.getProperty("record.empty.envelope")), ctx, aad))).isEmpty();
        assertThat(EnvelopeFormat.kekOf(hex.parseHex(c.getProperty("record.envelope")))).isEqualTo(ck.kekRef());
        String doc = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "FORMAT.md")).replaceAll("\\s+", "");
        assertThat(doc).contains(c.getProperty("record.envelope")).contains(c.getProperty("ck.key"));
    }
}
