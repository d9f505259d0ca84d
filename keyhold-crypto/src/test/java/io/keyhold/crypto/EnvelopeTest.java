package io.keyhold.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
    private final TestKek kek = new TestKek();
    private final EnvelopeEncryptor encryptor = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
    private final EnvelopeDecryptor decryptor = new EnvelopeDecryptor(new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "kek-1"), 100, Duration.ofMinutes(5)));
    private final Aad orders = Aad.of("topic:orders");

    @Property(tries = 200)
    void anyPayloadRoundTrips(@ForAll @Size(max = 70_000) byte[] plaintext) {
        byte[] envelope = encryptor.encrypt("kek-1", "orders", plaintext, orders);
        assertThat(decryptor.decrypt(envelope, orders)).isEqualTo(plaintext);
    }

    @Test
    void roundTripsASliceAndReadsAtAnOffset() {
        byte[] data = "..hello world..".getBytes(StandardCharsets.UTF_8);
        byte[] envelope = encryptor.encrypt("kek-1", "orders", data, 2, 11, orders);
        byte[] padded = new byte[envelope.length + 10];
        System.arraycopy(envelope, 0, padded, 7, envelope.length);
        assertThat(new String(decryptor.decrypt(padded, 7, envelope.length, orders), StandardCharsets.UTF_8)).isEqualTo("hello world");
    }

    @Test
    void aSealerWritesEnvelopesInPlaceThatOpenInPlace() {
        byte[] data = "..first record..second..".getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[400];
        int a;
        int b;
        try (EnvelopeEncryptor.Sealer sealer = encryptor.sealer("kek-1", "orders", orders)) {
            int expected = sealer.envelopeLength(12);
            a = sealer.seal(data, 2, 12, out, 5);
            assertThat(a).isEqualTo(expected);
            b = sealer.seal(data, 16, 6, out, 5 + a);
        }
        // Each is an ordinary envelope: the allocating decryptor and the in-place one agree.
        assertThat(new String(decryptor.decrypt(out, 5, a, orders), StandardCharsets.UTF_8)).isEqualTo("first record");
        byte[] plain = new byte[b + 3];
        int n = decryptor.decrypt(out, 5 + a, b, orders, plain, 3);
        assertThat(new String(plain, 3, n, StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(Arrays.copyOfRange(out, 5, 5 + a)).isNotEqualTo(Arrays.copyOfRange(out, 5 + a, 5 + 2 * a));
    }

    @Test
    void aSealerRotatesItsDekMidRunAndRefusesUseAfterClose() {
        EnvelopeEncryptor small = new EnvelopeEncryptor(new EncryptionDekCache(kek, new DekRotationPolicy(2, Duration.ofHours(1))));
        byte[][] envelopes = new byte[5][];
        EnvelopeEncryptor.Sealer sealer = small.sealer("kek-1", "orders", orders);
        for (int i = 0; i < 5; i++) {
            envelopes[i] = new byte[sealer.envelopeLength(1)];
            sealer.seal(new byte[] {(byte) i}, 0, 1, envelopes[i], 0);
        }
        sealer.close();
        assertThat(kek.generated).hasValue(3); // two uses per DEK
        for (int i = 0; i < 5; i++) {
            assertThat(decryptor.decrypt(envelopes[i], orders)).containsExactly((byte) i);
        }
        assertThatThrownBy(() -> sealer.envelopeLength(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anOpenerOpensARunAcrossDekChangesWithOneUnwrapPerDek() {
        EnvelopeEncryptor small = new EnvelopeEncryptor(new EncryptionDekCache(kek, new DekRotationPolicy(3, Duration.ofHours(1))));
        byte[][] envelopes = new byte[7][];
        for (int i = 0; i < envelopes.length; i++) {
            envelopes[i] = small.encrypt("kek-1", "orders", new byte[] {(byte) i, 9}, orders);
        }
        byte[] out = new byte[64];
        try (EnvelopeDecryptor.Opener opener = decryptor.opener(orders)) {
            for (int i = 0; i < envelopes.length; i++) {
                assertThat(opener.open(envelopes[i], 0, envelopes[i].length, out, 1)).isEqualTo(2);
                assertThat(out[1]).isEqualTo((byte) i);
            }
            byte[] tampered = envelopes[0].clone();
            tampered[tampered.length - 1] ^= 1;
            assertThatThrownBy(() -> opener.open(tampered, 0, tampered.length, out, 0)).isInstanceOf(CryptoException.class);
        }
        assertThat(kek.unwrapped).hasValue(3); // DEKs of 3 + 3 + 1 records
        EnvelopeDecryptor.Opener closed = decryptor.opener(orders);
        closed.close();
        assertThatThrownBy(() -> closed.open(envelopes[0], 0, envelopes[0].length, out, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPurgeWhileAnOpenerHoldsTheDekWipesItWhenTheOpenerCloses() {
        DecryptionDekCache cache = new DecryptionDekCache(kek, KekPolicy.anyKey(), 100, Duration.ofMinutes(5));
        EnvelopeDecryptor d = new EnvelopeDecryptor(cache);
        byte[] e = encryptor.encrypt("kek-1", "orders", new byte[] {1, 2, 3}, orders);
        byte[] out = new byte[e.length];
        EnvelopeDecryptor.Opener opener = d.opener(orders);
        opener.open(e, 0, e.length, out, 0);
        cache.purge();
        assertThat(opener.open(e, 0, e.length, out, 0)).isEqualTo(3); // the run in progress finishes
        opener.close();
        assertThat(cache.size()).isZero();
        // the next run must go back to the KMS: the purged key is gone
        int before = kek.unwrapped.get();
        try (EnvelopeDecryptor.Opener next = d.opener(orders)) {
            next.open(e, 0, e.length, out, 0);
        }
        assertThat(kek.unwrapped.get()).isEqualTo(before + 1);
    }

    @Test
    void inPlaceDecryptionOfATamperedEnvelopeLeavesNoPlaintext() {
        byte[] envelope = encryptor.encrypt("kek-1", "orders", "attack at dawn".getBytes(StandardCharsets.UTF_8), orders);
        envelope[envelope.length - 1] ^= 1;
        byte[] out = new byte[envelope.length];
        Arrays.fill(out, (byte) '#');
        assertThatThrownBy(() -> decryptor.decrypt(envelope, 0, envelope.length, orders, out, 0))
                .isInstanceOf(CryptoException.class);
        assertThat(new String(out, StandardCharsets.UTF_8)).doesNotContain("attack");
    }

    @Test
    void samePlaintextNeverGivesTheSameCiphertext() {
        byte[] p = new byte[64];
        assertThat(encryptor.encrypt("kek-1", "orders", p, orders)).isNotEqualTo(encryptor.encrypt("kek-1", "orders", p, orders));
    }

    @Test
    void everySingleBitFlipAnywhereIsRejected() {
        byte[] plaintext = new byte[300];
        Arrays.fill(plaintext, (byte) 'x');
        byte[] envelope = encryptor.encrypt("kek-1", "orders", plaintext, orders);
        for (int i = 0; i < envelope.length; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] tampered = envelope.clone();
                tampered[i] ^= (byte) (1 << bit);
                int at = i;
                assertThatThrownBy(() -> decryptor.decrypt(tampered, orders))
                        .as("flip of bit %d in byte %d", bit, at)
                        .isInstanceOf(CryptoException.class);
            }
        }
    }

    @Test
    void everyTruncationAndExtensionIsRejected() {
        byte[] envelope = encryptor.encrypt("kek-1", "orders", new byte[100], orders);
        for (int len = 0; len < envelope.length; len++) {
            byte[] cut = Arrays.copyOf(envelope, len);
            assertThatThrownBy(() -> decryptor.decrypt(cut, orders)).isInstanceOf(CryptoException.class);
        }
        byte[] longer = Arrays.copyOf(envelope, envelope.length + 1);
        assertThatThrownBy(() -> decryptor.decrypt(longer, orders)).isInstanceOf(CryptoException.class);
    }

    @Test
    void wrongAadIsRejected() {
        byte[] envelope = encryptor.encrypt("kek-1", "orders", "secret".getBytes(StandardCharsets.UTF_8), orders);
        assertThatThrownBy(() -> decryptor.decrypt(envelope, Aad.of("topic:payments")))
                .isInstanceOf(CryptoException.class)
                .hasMessageContaining("authentication failed");
    }

    @Test
    void aadPartsAreUnambiguous() {
        assertThat(Aad.ofParts("ab", "c")).isNotEqualTo(Aad.ofParts("a", "bc"));
        assertThatThrownBy(() -> Aad.of("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oneUnwrapServesManyRecords() {
        for (int i = 0; i < 50; i++) {
            byte[] e = encryptor.encrypt("kek-1", "orders", new byte[] {(byte) i}, orders);
            assertThat(decryptor.decrypt(e, orders)).containsExactly((byte) i);
        }
        assertThat(kek.generated).hasValue(1);
        assertThat(kek.unwrapped).hasValue(1);
    }

    /** Decrypts an envelope by following docs/FORMAT.md with raw JCA: the documented format is the real one. */
    @Test
    void formatIsWhatTheDocumentSays() throws Exception {
        byte[] secret = "by the book".getBytes(StandardCharsets.UTF_8);
        byte[] envelope = encryptor.encrypt("kek-1", "orders", secret, orders);
        int pos = 0;
        assertThat(new byte[] {envelope[0], envelope[1]}).isEqualTo("KH".getBytes(StandardCharsets.US_ASCII));
        assertThat(envelope[2]).isEqualTo((byte) 1);
        assertThat(envelope[3]).isEqualTo((byte) 1);
        pos = 4;
        int pLen = envelope[pos] & 0xff;
        assertThat(new String(envelope, pos + 1, pLen, StandardCharsets.UTF_8)).isEqualTo("test");
        pos += 1 + pLen;
        int kLen = (envelope[pos] & 0xff) << 8 | envelope[pos + 1] & 0xff;
        assertThat(new String(envelope, pos + 2, kLen, StandardCharsets.UTF_8)).isEqualTo("kek-1");
        pos += 2 + kLen;
        int vLen = envelope[pos] & 0xff;
        pos += 1 + vLen;
        int eLen = (envelope[pos] & 0xff) << 8 | envelope[pos + 1] & 0xff;
        byte[] edek = Arrays.copyOfRange(envelope, pos + 2, pos + 2 + eLen);
        pos += 2 + eLen;
        int headerLen = pos;
        byte[] dek = kek.unwrap(new KekRef("test", "kek-1", "1"), edek).withKeyBytes(byte[]::clone);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dek, "AES"), new GCMParameterSpec(128, envelope, headerLen, 12));
        c.updateAAD(java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(envelope, headerLen)));
        c.updateAAD("topic:orders".getBytes(StandardCharsets.UTF_8));
        assertThat(c.doFinal(envelope, headerLen + 12, envelope.length - headerLen - 12)).isEqualTo(secret);
        assertThat(EnvelopeFormat.kekOf(envelope)).isEqualTo(new KekRef("test", "kek-1", "1"));
    }

    @Test
    void unsupportedVersionSaysSo() {
        byte[] envelope = encryptor.encrypt("kek-1", "orders", new byte[1], orders);
        envelope[2] = 9;
        assertThatThrownBy(() -> decryptor.decrypt(envelope, orders)).hasMessageContaining("unsupported envelope version 9");
    }
}
