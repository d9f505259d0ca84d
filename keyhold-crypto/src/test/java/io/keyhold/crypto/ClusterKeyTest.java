package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClusterKeyTest {
    private final HexFormat hex = HexFormat.of();

    @Test
    void hkdfIsRfc5869() {
        // RFC 5869, test case 1: the first 32 bytes of OKM.
        byte[] ikm = hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        byte[] salt = hex.parseHex("000102030405060708090a0b0c");
        byte[] info = hex.parseHex("f0f1f2f3f4f5f6f7f8f9");
        assertThat(hex.formatHex(ClusterKey.hkdfSha256(ikm, salt, info)))
                .isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
    }

    @Test
    void aDekIsBoundToItsClusterKeyContextAndId() {
        byte[] material = new byte[32];
        ClusterKey ck = new ClusterKey(ClusterKey.newId(), DataKey.fromBytesWipingSource(material.clone()));
        ClusterKey other = new ClusterKey(ClusterKey.newId(), DataKey.generate());
        EncryptionContext orders = EncryptionContext.forTopic("c1", "orders");
        byte[] id = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] a = ck.derive(orders, id).withKeyBytes(byte[]::clone);
        assertThat(ck.derive(orders, id).withKeyBytes(byte[]::clone)).isEqualTo(a);
        assertThat(ck.derive(EncryptionContext.forTopic("c1", "payments"), id).withKeyBytes(byte[]::clone)).isNotEqualTo(a);
        assertThat(ck.derive(EncryptionContext.forTopic("c2", "orders"), id).withKeyBytes(byte[]::clone)).isNotEqualTo(a);
        assertThat(ck.derive(orders, new byte[8]).withKeyBytes(byte[]::clone)).isNotEqualTo(a);
        assertThat(other.derive(orders, id).withKeyBytes(byte[]::clone)).isNotEqualTo(a);
        ck.close();
        assertThat(ck.isDestroyed()).isTrue();
    }

    @Test
    void aWrappedClusterKeyRoundTripsAndRefusesGarbage() {
        WrappedClusterKey w = new WrappedClusterKey("lkc-1", ClusterKey.newId(), new KekRef("aws", "arn:aws:kms:k", "v1"),
                "ciphertext".getBytes(StandardCharsets.US_ASCII), 1_767_225_600_000L);
        WrappedClusterKey back = WrappedClusterKey.decode(w.encode());
        assertThat(back.clusterId()).isEqualTo("lkc-1");
        assertThat(back.id()).isEqualTo(w.id());
        assertThat(back.kek()).isEqualTo(w.kek());
        assertThat(back.edek()).isEqualTo(w.edek());
        assertThat(back.createdMillis()).isEqualTo(w.createdMillis());
        assertThat(w.storageKey()).isEqualTo("lkc-1/" + w.id());
        byte[] cut = java.util.Arrays.copyOf(w.encode(), 20);
        assertThatThrownBy(() -> WrappedClusterKey.decode(cut)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> WrappedClusterKey.decode(new byte[] {1, 2, 3})).isInstanceOf(CryptoException.class);
    }

    /** A keyring of one CK, counting lookups. */
    private static final class OneKey implements ClusterKeyDeks.Keyring {
        final ClusterKey ck = new ClusterKey(ClusterKey.newId(), DataKey.generate());
        final AtomicInteger lookups = new AtomicInteger();

        @Override
        public CompletionStage<ClusterKey> current() {
            return CompletableFuture.completedFuture(ck);
        }

        @Override
        public CompletionStage<ClusterKey> byId(String id) {
            lookups.incrementAndGet();
            return id.equals(ck.id()) ? CompletableFuture.completedFuture(ck)
                    : CompletableFuture.failedFuture(new CryptoException("no cluster key " + id + " in this cluster"));
        }
    }

    @Test
    void envelopesUnderDerivedDeksOpenThroughTheKeyringAndNameOnlyTheClusterKey() {
        OneKey keyring = new OneKey();
        DekUnwrapper noKms = (k, e, c) -> CompletableFuture.failedFuture(new AssertionError("no KMS call for CK envelopes"));
        ClusterKeyDeks deks = new ClusterKeyDeks(keyring, noKms);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(deks, DekRotationPolicy.DEFAULT));
        KekPolicy policy = KekPolicy.onlyKey("local", "orders-key").andAnyKeyOf(ClusterKey.PROVIDER);
        EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(deks, policy, 100, Duration.ofMinutes(5)));
        EncryptionContext orders = EncryptionContext.forTopic("c1", "orders");
        Aad aad = Aad.of("topic:orders");
        byte[] envelope = retry(() -> enc.encrypt("orders-key", orders, "hello".getBytes(StandardCharsets.UTF_8), aad));
        assertThat(EnvelopeFormat.kekOf(envelope)).isEqualTo(keyring.ck.kekRef());
        // The compact layout: magic and version 3, CK id 8, DEK id 12, IV counter 4, then ciphertext and tag.
        assertThat(envelope.length).isEqualTo(3 + 8 + 12 + 4 + 5 + 16);
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).asString(StandardCharsets.UTF_8).isEqualTo("hello");

        // A CK id this cluster does not have opens nothing.
        OneKey elsewhere = new OneKey();
        ClusterKeyDeks foreign = new ClusterKeyDeks(elsewhere, noKms);
        EnvelopeEncryptor theirEncryptor = new EnvelopeEncryptor(new EncryptionDekCache(foreign, DekRotationPolicy.DEFAULT));
        byte[] theirs = retry(() -> theirEncryptor.encrypt("orders-key", orders, new byte[3], aad));
        assertThatThrownBy(() -> retry(() -> dec.decrypt(theirs, orders, aad))).isInstanceOf(CryptoException.class);
        // Other KEKs than the cluster's key and its CKs are refused before any lookup.
        assertThat(policy.allows(new KekRef("local", "other-key", "1"))).isFalse();
        assertThat(policy.allows(new KekRef("local", "orders-key", "1"))).isTrue();
        assertThat(ClusterKey.wrappingContext("c1", keyring.ck.id()).pairs())
                .containsAllEntriesOf(Map.of("keyhold-cluster", "c1", "keyhold-purpose", "cluster-key"));
    }
}
