package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A decryptor opens only envelopes under the KEK its policy allows, even when its KMS could unwrap others. */
class KekPolicyTest {
    /** One KMS stand-in that can unwrap DEKs of every key id: the situation the policy guards against. */
    private final TestKek kms = new TestKek();
    private final Aad aad = Aad.of("orders");
    private final EncryptionContext orders = EncryptionContext.forTopic("cluster-1", "orders");
    private final EnvelopeEncryptor encryptor = new EnvelopeEncryptor(new EncryptionDekCache(kms, DekRotationPolicy.DEFAULT));

    private static DekSource withVersion(DekSource source, String provider, String version) {
        return (kekId, context) -> source.generate(kekId, context)
                .thenApply(g -> new GeneratedDek(g.dek(), new KekRef(provider, kekId, version), g.edek()));
    }

    @Test
    void aCacheRefusesAForeignKekWithoutCallingTheUnwrapper() {
        byte[] foreign = retry(() -> encryptor.encrypt("ka", orders, "theirs".getBytes(StandardCharsets.UTF_8), aad));
        byte[] own = retry(() -> encryptor.encrypt("kb", orders, "ours".getBytes(StandardCharsets.UTF_8), aad));
        // The KMS itself would open the foreign envelope:
        EnvelopeDecryptor permissive = new EnvelopeDecryptor(new DecryptionDekCache(kms, KekPolicy.anyKey(), 10, Duration.ofMinutes(1)));
        assertThat(retry(() -> permissive.decrypt(foreign, orders, aad))).asString(StandardCharsets.UTF_8).isEqualTo("theirs");
        int unwrapsBefore = kms.unwrapped.get();

        DecryptionDekCache cache = new DecryptionDekCache(kms, KekPolicy.onlyKey("test", "kb", "this cluster's key"),
                10, Duration.ofMinutes(1));
        EnvelopeDecryptor decryptor = new EnvelopeDecryptor(cache);

        assertThatThrownBy(() -> decryptor.decrypt(foreign, orders, aad))
                .isInstanceOf(ForeignKekException.class)
                .isInstanceOf(CryptoException.class)
                .hasMessage("encrypted under KEK 'ka' (test) version '1', not this cluster's key 'kb' (test)")
                .satisfies(e -> assertThat(((ForeignKekException) e).kek()).isEqualTo(new KekRef("test", "ka", "1")));
        assertThat(kms.unwrapped.get()).as("the KMS was not asked").isEqualTo(unwrapsBefore);
        assertThat(cache.size()).isZero();

        assertThat(retry(() -> decryptor.decrypt(own, orders, aad))).asString(StandardCharsets.UTF_8).isEqualTo("ours");
        assertThat(kms.unwrapped.get()).isEqualTo(unwrapsBefore + 1);
        // refused again after a success (no memo or cache entry lets it through), still without a KMS call
        assertThatThrownBy(() -> decryptor.decrypt(foreign, orders, aad)).isInstanceOf(ForeignKekException.class);
        assertThatThrownBy(() -> decryptor.decrypt(foreign, 0, foreign.length, orders, aad, new byte[foreign.length], 0))
                .isInstanceOf(ForeignKekException.class);
        assertThat(kms.unwrapped.get()).isEqualTo(unwrapsBefore + 1);
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void anyVersionOfItsOwnKeyIsAccepted() {
        EnvelopeDecryptor decryptor = new EnvelopeDecryptor(
                new DecryptionDekCache(kms, KekPolicy.onlyKey("test", "kb"), 10, Duration.ofMinutes(1)));
        for (String version : new String[] {"1", "2", "17", ""}) {
            EnvelopeEncryptor versioned = new EnvelopeEncryptor(new EncryptionDekCache(withVersion(kms, "test", version), DekRotationPolicy.DEFAULT));
            byte[] e = retry(() -> versioned.encrypt("kb", orders, new byte[] {7}, aad));
            assertThat(EnvelopeFormat.kekOf(e).keyVersion()).isEqualTo(version);
            assertThat(retry(() -> decryptor.decrypt(e, orders, aad))).containsExactly(7);
        }
        assertThat(kms.unwrapped).hasValue(4);
    }

    @Test
    void theSameKeyIdInAnotherKindOfKmsIsForeign() {
        EnvelopeEncryptor aws = new EnvelopeEncryptor(new EncryptionDekCache(withVersion(kms, "aws", "1"), DekRotationPolicy.DEFAULT));
        byte[] e = retry(() -> aws.encrypt("kb", orders, new byte[1], aad));
        EnvelopeDecryptor decryptor = new EnvelopeDecryptor(
                new DecryptionDekCache(kms, KekPolicy.onlyKey("test", "kb"), 10, Duration.ofMinutes(1)));
        assertThatThrownBy(() -> decryptor.decrypt(e, orders, aad))
                .isInstanceOf(ForeignKekException.class)
                .hasMessage("encrypted under KEK 'kb' (aws) version '1', not the allowed key 'kb' (test)");
        assertThat(kms.unwrapped).hasValue(0);
    }

    @Test
    void aStreamUnderAForeignKekIsRefusedBeforeUnwrapping() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream out = StreamingEnvelope.encrypting(sink, kms.generateNow("ka", orders), aad, 64)) {
            out.write(new byte[100]);
        }
        assertThatThrownBy(() -> StreamingEnvelope.decrypting(new ByteArrayInputStream(sink.toByteArray()), kms,
                KekPolicy.onlyKey("test", "kb"), orders, aad))
                .isInstanceOf(ForeignKekException.class)
                .hasMessageContaining("'ka'");
        assertThat(kms.unwrapped).hasValue(0);
        try (var in = StreamingEnvelope.decrypting(new ByteArrayInputStream(sink.toByteArray()), kms,
                KekPolicy.onlyKey("test", "ka"), orders, aad)) {
            assertThat(in.readAllBytes()).hasSize(100);
        }
    }

    @Test
    void keyIdsReadFromTheDataCannotForgeLogLines() {
        String hostile = "x'\nWARN forged line" + "y".repeat(5000);
        KekRef kek = new KekRef("test", hostile, "1\r");
        assertThatThrownBy(() -> KekPolicy.onlyKey("test", "kb").check(kek))
                .isInstanceOf(ForeignKekException.class)
                .satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain("\n").doesNotContain("\r")
                        .contains("'x\\u0027\\u000aWARN forged line")
                        .contains("...")
                        .hasSizeLessThan(400));
    }

    @Test
    void policiesSayWhatTheyAllow() {
        KekPolicy only = KekPolicy.onlyKey("local", "orders");
        assertThat(only.allows(new KekRef("local", "orders", "1"))).isTrue();
        assertThat(only.allows(new KekRef("local", "orders", "99"))).isTrue();
        assertThat(only.allows(new KekRef("local", "Orders", "1"))).isFalse();
        assertThat(only.allows(new KekRef("local", "orders-2", "1"))).isFalse();
        assertThat(only.allows(new KekRef("aws", "orders", "1"))).isFalse();
        assertThat(KekPolicy.anyKey().allows(new KekRef("aws", "anything", ""))).isTrue();
        assertThatThrownBy(() -> KekPolicy.onlyKey("", "orders")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DecryptionDekCache(kms, null, 10, Duration.ofMinutes(1)))
                .isInstanceOf(NullPointerException.class);
    }
}
