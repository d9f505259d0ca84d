package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
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
    private final EncryptionContext ordersDeks = EncryptionContext.forTopic("cluster-1", "orders");

    @Property(tries = 200)
    void anyPayloadRoundTrips(@ForAll @Size(max = 70_000) byte[] plaintext) {
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, plaintext, orders));
        assertThat(retry(() -> decryptor.decrypt(envelope, ordersDeks, orders))).isEqualTo(plaintext);
    }

    @Test
    void anEnvelopeSealedWithATailOpensOnlyWithThatTail() {
        byte[] data = "value".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "..\u0001key-A..".getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[200];
        int n;
        try (EnvelopeEncryptor.Sealer sealer = encryptor.sealer("kek-1", ordersDeks, orders)) {
            retry(() -> sealer.envelopeLength(data.length));
            n = sealer.seal(data, 0, data.length, out, 0, tail, 2, tail.length - 4);
        }
        int len = n;
        byte[] plain = new byte[len];
        try (EnvelopeDecryptor.Opener opener = decryptor.opener(ordersDeks, orders)) {
            int got = retry(() -> opener.open(out, 0, len, plain, 0, tail, 2, tail.length - 4));
            assertThat(new String(plain, 0, got, StandardCharsets.UTF_8)).isEqualTo("value");
            byte[] otherKey = "..\u0001key-B..".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> opener.open(out, 0, len, plain, 0, otherKey, 2, otherKey.length - 4))
                    .isInstanceOf(CryptoException.class);
            assertThatThrownBy(() -> opener.open(out, 0, len, plain, 0)).isInstanceOf(CryptoException.class);
        }
        // A tail is the last part of the AAD: the one-at-a-time decryptor opens it with aad.append(tail).
        byte[] envelope = Arrays.copyOf(out, len);
        assertThat(new String(retry(() -> decryptor.decrypt(envelope, ordersDeks, orders.append(tail, 2, tail.length - 4))),
                StandardCharsets.UTF_8)).isEqualTo("value");
    }

    /**
     * A tail written straight into the sealer's or opener's AAD binds the envelope exactly as one handed
     * over does, also across DEK changes (the record AAD in front of the tail is the new DEK's).
     */
    @Test
    void aTailWrittenInPlaceBindsLikeOneHandedOverAcrossDekRotations() {
        EnvelopeEncryptor small = new EnvelopeEncryptor(new EncryptionDekCache(kek, new DekRotationPolicy(2, Duration.ofHours(1))));
        byte[] data = "value".getBytes(StandardCharsets.UTF_8);
        byte[][] envelopes = new byte[5][];
        try (EnvelopeEncryptor.Sealer sealer = small.sealer("kek-1", ordersDeks, orders)) {
            for (int i = 0; i < envelopes.length; i++) {
                byte[] tail = ("key-" + i).getBytes(StandardCharsets.UTF_8);
                retry(() -> sealer.envelopeLength(data.length));
                byte[] out = new byte[200];
                int n;
                if (i % 2 == 0) {
                    byte[] aad = sealer.tailBuffer(tail.length);
                    System.arraycopy(tail, 0, aad, sealer.tailOffset(), tail.length);
                    n = sealer.sealWithTail(data, 0, data.length, out, 0, tail.length);
                } else {
                    n = sealer.seal(data, 0, data.length, out, 0, tail, 0, tail.length);
                }
                envelopes[i] = Arrays.copyOf(out, n);
            }
        }
        assertThat(kek.generated.get()).as("two uses per DEK: five envelopes under three DEKs").isEqualTo(3);
        try (EnvelopeDecryptor.Opener opener = decryptor.opener(ordersDeks, orders)) {
            for (int i = 0; i < envelopes.length; i++) {
                byte[] tail = ("key-" + i).getBytes(StandardCharsets.UTF_8);
                byte[] env = envelopes[i];
                byte[] plain = new byte[env.length];
                int got;
                if (i % 3 == 0) {
                    got = retry(() -> opener.open(env, 0, env.length, plain, 0, tail, 0, tail.length));
                } else {
                    byte[] aad = opener.tailBuffer(tail.length);
                    System.arraycopy(tail, 0, aad, opener.tailOffset(), tail.length);
                    got = retry(() -> opener.openWithTail(env, 0, env.length, plain, 0, tail.length));
                }
                assertThat(new String(plain, 0, got, StandardCharsets.UTF_8)).isEqualTo("value");
                assertThat(new String(retry(() -> decryptor.decrypt(env, ordersDeks, orders.append(tail, 0, tail.length))),
                        StandardCharsets.UTF_8)).isEqualTo("value");
                byte[] other = ("key-" + (i + 1)).getBytes(StandardCharsets.UTF_8);
                byte[] aad = opener.tailBuffer(other.length);
                System.arraycopy(other, 0, aad, opener.tailOffset(), other.length);
                assertThatThrownBy(() -> opener.openWithTail(env, 0, env.length, plain, 0, other.length))
                        .isInstanceOf(CryptoException.class);
            }
        }
    }

    @Test
    void roundTripsASliceAndReadsAtAnOffset() {
        byte[] data = "..hello world..".getBytes(StandardCharsets.UTF_8);
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, data, 2, 11, orders));
        byte[] padded = new byte[envelope.length + 10];
        System.arraycopy(envelope, 0, padded, 7, envelope.length);
        assertThat(new String(retry(() -> decryptor.decrypt(padded, 7, envelope.length, ordersDeks, orders)), StandardCharsets.UTF_8)).isEqualTo("hello world");
    }

    @Test
    void aSealerWritesEnvelopesInPlaceThatOpenInPlace() {
        byte[] data = "..first record..second..".getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[400];
        int a;
        int b;
        try (EnvelopeEncryptor.Sealer sealer = encryptor.sealer("kek-1", ordersDeks, orders)) {
            int expected = retry(() -> sealer.envelopeLength(12)); // the first call waits for the DEK
            a = sealer.seal(data, 2, 12, out, 5);
            assertThat(a).isEqualTo(expected);
            b = sealer.seal(data, 16, 6, out, 5 + a);
        }
        int first = a;
        int second = b;
        // Each is an ordinary envelope: the allocating decryptor and the in-place one agree.
        assertThat(new String(retry(() -> decryptor.decrypt(out, 5, first, ordersDeks, orders)), StandardCharsets.UTF_8)).isEqualTo("first record");
        byte[] plain = new byte[b + 3];
        int n = retry(() -> decryptor.decrypt(out, 5 + first, second, ordersDeks, orders, plain, 3));
        assertThat(new String(plain, 3, n, StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(Arrays.copyOfRange(out, 5, 5 + a)).isNotEqualTo(Arrays.copyOfRange(out, 5 + a, 5 + 2 * a));
    }

    @Test
    void aSealerRotatesItsDekMidRunAndRefusesUseAfterClose() {
        EnvelopeEncryptor small = new EnvelopeEncryptor(new EncryptionDekCache(kek, new DekRotationPolicy(2, Duration.ofHours(1))));
        byte[][] envelopes = new byte[5][];
        EnvelopeEncryptor.Sealer sealer = small.sealer("kek-1", ordersDeks, orders);
        for (int i = 0; i < 5; i++) {
            envelopes[i] = new byte[retry(() -> sealer.envelopeLength(1))];
            sealer.seal(new byte[] {(byte) i}, 0, 1, envelopes[i], 0);
        }
        sealer.close();
        assertThat(kek.generated).hasValue(3); // two uses per DEK
        for (int i = 0; i < 5; i++) {
            byte[] e = envelopes[i];
            assertThat(retry(() -> decryptor.decrypt(e, ordersDeks, orders))).containsExactly((byte) i);
        }
        assertThatThrownBy(() -> sealer.envelopeLength(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anOpenerOpensARunAcrossDekChangesWithOneUnwrapPerDek() {
        EnvelopeEncryptor small = new EnvelopeEncryptor(new EncryptionDekCache(kek, new DekRotationPolicy(3, Duration.ofHours(1))));
        byte[][] envelopes = new byte[7][];
        for (int i = 0; i < envelopes.length; i++) {
            byte[] pt = {(byte) i, 9};
            envelopes[i] = retry(() -> small.encrypt("kek-1", ordersDeks, pt, orders));
        }
        byte[] out = new byte[64];
        try (EnvelopeDecryptor.Opener opener = decryptor.opener(ordersDeks, orders)) {
            for (int i = 0; i < envelopes.length; i++) {
                byte[] e = envelopes[i];
                assertThat(retry(() -> opener.open(e, 0, e.length, out, 1))).isEqualTo(2);
                assertThat(out[1]).isEqualTo((byte) i);
            }
            byte[] tampered = envelopes[0].clone();
            tampered[tampered.length - 1] ^= 1;
            assertThatThrownBy(() -> opener.open(tampered, 0, tampered.length, out, 0)).isInstanceOf(CryptoException.class);
        }
        assertThat(kek.unwrapped).hasValue(3); // DEKs of 3 + 3 + 1 records
        EnvelopeDecryptor.Opener closed = decryptor.opener(ordersDeks, orders);
        closed.close();
        assertThatThrownBy(() -> closed.open(envelopes[0], 0, envelopes[0].length, out, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPurgeWhileAnOpenerHoldsTheDekWipesItWhenTheOpenerCloses() {
        DecryptionDekCache cache = new DecryptionDekCache(kek, KekPolicy.anyKey(), 100, Duration.ofMinutes(5));
        EnvelopeDecryptor d = new EnvelopeDecryptor(cache);
        byte[] e = retry(() -> encryptor.encrypt("kek-1", ordersDeks, new byte[] {1, 2, 3}, orders));
        byte[] out = new byte[e.length];
        EnvelopeDecryptor.Opener opener = d.opener(ordersDeks, orders);
        retry(() -> opener.open(e, 0, e.length, out, 0));
        DataKey held = kek.lastHandedOut();
        cache.purge();
        assertThat(opener.open(e, 0, e.length, out, 0)).isEqualTo(3); // the run in progress finishes
        assertThat(held.isDestroyed()).isFalse();
        opener.close();
        assertThat(held.isDestroyed()).isTrue();
        assertThat(cache.size()).isZero();
        // the next run must go back to the KMS: the purged key is gone
        int before = kek.unwrapped.get();
        try (EnvelopeDecryptor.Opener next = d.opener(ordersDeks, orders)) {
            retry(() -> next.open(e, 0, e.length, out, 0));
        }
        assertThat(kek.unwrapped.get()).isEqualTo(before + 1);
    }

    @Test
    void inPlaceDecryptionOfATamperedEnvelopeLeavesNoPlaintext() {
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, "attack at dawn".getBytes(StandardCharsets.UTF_8), orders));
        envelope[envelope.length - 1] ^= 1;
        byte[] out = new byte[envelope.length];
        Arrays.fill(out, (byte) '#');
        assertThatThrownBy(() -> retry(() -> decryptor.decrypt(envelope, 0, envelope.length, ordersDeks, orders, out, 0)))
                .isInstanceOf(CryptoException.class);
        assertThat(new String(out, StandardCharsets.UTF_8)).doesNotContain("attack");
    }

    @Test
    void samePlaintextNeverGivesTheSameCiphertext() {
        byte[] p = new byte[64];
        assertThat(retry(() -> encryptor.encrypt("kek-1", ordersDeks, p, orders))).isNotEqualTo(retry(() -> encryptor.encrypt("kek-1", ordersDeks, p, orders)));
    }

    @Test
    void everySingleBitFlipAnywhereIsRejected() {
        byte[] plaintext = new byte[300];
        Arrays.fill(plaintext, (byte) 'x');
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, plaintext, orders));
        for (int i = 0; i < envelope.length; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] tampered = envelope.clone();
                tampered[i] ^= (byte) (1 << bit);
                int at = i;
                assertThatThrownBy(() -> retry(() -> decryptor.decrypt(tampered, ordersDeks, orders)))
                        .as("flip of bit %d in byte %d", bit, at)
                        .isInstanceOf(CryptoException.class);
            }
        }
    }

    @Test
    void everyTruncationAndExtensionIsRejected() {
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, new byte[100], orders));
        for (int len = 0; len < envelope.length; len++) {
            byte[] cut = Arrays.copyOf(envelope, len);
            assertThatThrownBy(() -> retry(() -> decryptor.decrypt(cut, ordersDeks, orders))).isInstanceOf(CryptoException.class);
        }
        byte[] longer = Arrays.copyOf(envelope, envelope.length + 1);
        assertThatThrownBy(() -> retry(() -> decryptor.decrypt(longer, ordersDeks, orders))).isInstanceOf(CryptoException.class);
    }

    @Test
    void wrongAadIsRejected() {
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, "secret".getBytes(StandardCharsets.UTF_8), orders));
        assertThatThrownBy(() -> retry(() -> decryptor.decrypt(envelope, ordersDeks, Aad.of("topic:payments"))))
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
            byte[] pt = {(byte) i};
            byte[] e = retry(() -> encryptor.encrypt("kek-1", ordersDeks, pt, orders));
            assertThat(retry(() -> decryptor.decrypt(e, ordersDeks, orders))).containsExactly(pt);
        }
        assertThat(kek.generated).hasValue(1);
        assertThat(kek.unwrapped).hasValue(1);
    }

    /** Decrypts an envelope by following docs/FORMAT.md with raw JCA: the documented format is the real one. */
    @Test
    void formatIsWhatTheDocumentSays() throws Exception {
        byte[] secret = "by the book".getBytes(StandardCharsets.UTF_8);
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, secret, orders));
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
        byte[] dek = kek.unwrapNow(new KekRef("test", "kek-1", "1"), edek, ordersDeks).withKeyBytes(byte[]::clone);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dek, "AES"), new GCMParameterSpec(128, envelope, headerLen, 12));
        c.updateAAD(java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(envelope, headerLen)));
        c.updateAAD("topic:orders".getBytes(StandardCharsets.UTF_8));
        assertThat(c.doFinal(envelope, headerLen + 12, envelope.length - headerLen - 12)).isEqualTo(secret);
        assertThat(EnvelopeFormat.kekOf(envelope)).isEqualTo(new KekRef("test", "kek-1", "1"));
    }

    @Test
    void unsupportedVersionSaysSo() {
        byte[] envelope = retry(() -> encryptor.encrypt("kek-1", ordersDeks, new byte[1], orders));
        envelope[2] = 9;
        assertThatThrownBy(() -> retry(() -> decryptor.decrypt(envelope, ordersDeks, orders))).hasMessageContaining("unsupported envelope version 9");
    }
}
