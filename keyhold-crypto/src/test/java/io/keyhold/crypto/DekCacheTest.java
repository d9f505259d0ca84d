package io.keyhold.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DekCacheTest {
    private final TestKek kek = new TestKek();
    private final AtomicLong now = new AtomicLong(1_000);
    private final Aad aad = Aad.of("t");

    @Test
    void aDekIsRetiredAndWipedAfterItsMaximumNumberOfEncryptions() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(3, Duration.ofHours(1)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        for (int i = 0; i < 3; i++) {
            enc.encrypt("k", "t", new byte[1], aad);
        }
        assertThat(kek.generated).hasValue(1);
        DataKey first = kek.handedOut.get(0);
        assertThat(first.isDestroyed()).isFalse();

        enc.encrypt("k", "t", new byte[1], aad);
        assertThat(kek.generated).hasValue(2);
        assertThat(first.isDestroyed()).as("retired DEK is wiped").isTrue();
    }

    @Test
    void aDekIsRetiredAfterItsMaximumAge() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(1000, Duration.ofSeconds(10)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        enc.encrypt("k", "t", new byte[1], aad);
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        enc.encrypt("k", "t", new byte[1], aad);
        assertThat(kek.generated).hasValue(1);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        enc.encrypt("k", "t", new byte[1], aad);
        assertThat(kek.generated).hasValue(2);
        assertThat(kek.handedOut.get(0).isDestroyed()).isTrue();
    }

    @Test
    void eachKekAndContextGetsItsOwnDek() {
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        enc.encrypt("k1", "a", new byte[1], aad);
        enc.encrypt("k1", "b", new byte[1], aad);
        enc.encrypt("k2", "a", new byte[1], aad);
        enc.encrypt("k1", "a", new byte[1], aad);
        assertThat(kek.generated).hasValue(3);
    }

    @Test
    void policyRefusesMoreThanTwoToThe32Encryptions() {
        assertThatThrownBy(() -> new DekRotationPolicy((1L << 32) + 1, Duration.ofHours(1)))
                .hasMessageContaining("2^32");
        assertThatThrownBy(() -> new DekRotationPolicy(0, Duration.ofHours(1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(new DekRotationPolicy(1L << 32, Duration.ofHours(1)).maxEncryptions()).isEqualTo(1L << 32);
    }

    @Test
    void purgeWipesEveryKeyInBothCaches() {
        EncryptionDekCache encCache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT);
        DecryptionDekCache decCache = new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 100, Duration.ofMinutes(5));
        EnvelopeEncryptor enc = new EnvelopeEncryptor(encCache);
        EnvelopeDecryptor dec = new EnvelopeDecryptor(decCache);
        List<byte[]> envelopes = new ArrayList<>();
        for (String topic : List.of("a", "b", "c")) {
            envelopes.add(enc.encrypt("k", topic, new byte[8], Aad.of(topic)));
        }
        dec.decrypt(envelopes.get(0), Aad.of("a"));
        dec.decrypt(envelopes.get(1), Aad.of("b"));
        assertThat(kek.handedOut).hasSize(5);
        assertThat(encCache.size()).isEqualTo(3);
        assertThat(decCache.size()).isEqualTo(2);

        encCache.purge();
        decCache.purge();

        assertThat(kek.allHandedOutDestroyed()).isTrue();
        assertThat(encCache.size()).isZero();
        assertThat(decCache.size()).isZero();
        // after a purge, keys come back from the KEK (which may now refuse)
        assertThat(dec.decrypt(envelopes.get(2), Aad.of("c"))).hasSize(8);
        assertThat(kek.unwrapped).hasValue(3);
        // the encryptor's per-thread shortcut must not keep using a purged DEK
        int before = kek.generated.get();
        byte[] again = enc.encrypt("k", "c", new byte[8], Aad.of("c"));
        assertThat(kek.generated).hasValue(before + 1);
        assertThat(dec.decrypt(again, Aad.of("c"))).hasSize(8);
    }

    @Test
    void decryptionCacheIsBoundedInSizeAndWipesWhatItEvicts() {
        DecryptionDekCache decCache = new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 2, Duration.ofMinutes(5));
        EnvelopeDecryptor dec = new EnvelopeDecryptor(decCache);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        for (int i = 0; i < 10; i++) {
            dec.decrypt(enc.encrypt("k", "t" + i, new byte[1], aad), aad);
        }
        assertThat(decCache.size()).isLessThanOrEqualTo(2);
        long wipedUnwrapped = kek.handedOut.stream().filter(DataKey::isDestroyed).count();
        assertThat(wipedUnwrapped).isGreaterThanOrEqualTo(8);
    }

    @Test
    void decryptionCacheEntriesExpireAfterTheirTtl() {
        AtomicLong ticks = new AtomicLong();
        Ticker ticker = ticks::get;
        DecryptionDekCache decCache = new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 100, Duration.ofSeconds(30), ticker);
        EnvelopeDecryptor dec = new EnvelopeDecryptor(decCache);
        byte[] e = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT)).encrypt("k", "t", new byte[1], aad);
        dec.decrypt(e, aad);
        ticks.addAndGet(Duration.ofSeconds(29).toNanos());
        dec.decrypt(e, aad);
        assertThat(kek.unwrapped).hasValue(1);
        DataKey firstUnwrap = kek.handedOut.get(1);
        ticks.addAndGet(Duration.ofSeconds(2).toNanos());
        decCache.cleanUp();
        assertThat(firstUnwrap.isDestroyed()).isTrue();
        dec.decrypt(e, aad);
        assertThat(kek.unwrapped).hasValue(2);
    }

    @Test
    void concurrentEncryptionNeverReusesAnIvAndEverythingDecrypts() throws Exception {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(97, Duration.ofHours(1)));
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 1000, Duration.ofMinutes(5)));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<byte[]>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    List<byte[]> out = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) {
                        out.add(enc.encrypt("k", "t", new byte[] {(byte) i}, aad));
                    }
                    return out;
                }));
            }
            Set<String> ivs = new HashSet<>();
            int count = 0;
            for (Future<List<byte[]>> f : futures) {
                for (byte[] e : f.get()) {
                    count++;
                    int headerLen = e.length - 12 - 1 - 16;
                    ivs.add(java.util.HexFormat.of().formatHex(e, 0, headerLen + 12));
                    assertThat(dec.decrypt(e, aad)).hasSize(1);
                }
            }
            assertThat(ivs).as("(DEK, IV) pairs are unique").hasSize(count);
            assertThat(kek.generated.get()).isGreaterThanOrEqualTo(8000 / 97);
        } finally {
            pool.shutdownNow();
        }
    }
}
