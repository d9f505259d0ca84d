package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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

    static EncryptionContext ctx(String topic) {
        return EncryptionContext.forTopic("cluster-1", topic);
    }

    /** The envelope header of a 1-byte payload's envelope: it names the DEK (its EDEK). */
    private static byte[] headerOf(byte[] envelope) {
        return Arrays.copyOf(envelope, envelope.length - 12 - 1 - 16);
    }

    @Test
    void aDekIsRetiredAndWipedAfterItsMaximumNumberOfEncryptions() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(3, Duration.ofHours(1)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        for (int i = 0; i < 3; i++) {
            retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        }
        assertThat(kek.generated).hasValue(1);
        DataKey first = kek.handedOut.get(0);
        assertThat(first.isDestroyed()).isFalse();

        retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        assertThat(kek.generated).hasValue(2);
        assertThat(first.isDestroyed()).as("retired DEK is wiped").isTrue();
    }

    @Test
    void aDekIsRetiredAfterItsMaximumAge() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(1000, Duration.ofSeconds(10)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        byte[] first = retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        // 7 s: before three quarters of its age, where the successor would be asked for (see EncryptionDekCacheTest)
        now.addAndGet(Duration.ofSeconds(7).toNanos());
        byte[] second = retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        assertThat(kek.generated).hasValue(1);
        assertThat(headerOf(second)).isEqualTo(headerOf(first));
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        byte[] third = retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        assertThat(kek.generated).hasValue(2);
        assertThat(headerOf(third)).isNotEqualTo(headerOf(first));
        assertThat(kek.handedOut.get(0).isDestroyed()).isTrue();
    }

    @Test
    void aDekPastItsAgeIsWipedByTheSweepThoughItsTopicIsNeverWrittenAgain() {
        // maxAge (10 s) well under maxIdle (15 min): only the age retires this DEK.
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(1000, Duration.ofSeconds(10)),
                10, Duration.ofMinutes(15), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        kek.awaitAnswered();
        DataKey dek = kek.handedOut.get(0);
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        cache.sweep();
        assertThat(dek.isDestroyed()).as("still within its age").isFalse();
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        cache.sweep();
        assertThat(dek.isDestroyed()).as("past its age, wiped with no further encryption").isTrue();
        assertThat(cache.size()).isZero();
    }

    @Test
    void anIdleDekIsWipedByTheSweep() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT, 10, Duration.ofMinutes(15), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        DataKey dek = kek.handedOut.get(0);
        now.addAndGet(Duration.ofMinutes(15).toNanos());
        cache.sweep();
        assertThat(dek.isDestroyed()).isTrue();
    }

    @Test
    void eachKekAndContextGetsItsOwnDek() {
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        retry(() -> enc.encrypt("k1", ctx("a"), new byte[1], aad));
        retry(() -> enc.encrypt("k1", ctx("b"), new byte[1], aad));
        retry(() -> enc.encrypt("k2", ctx("a"), new byte[1], aad));
        retry(() -> enc.encrypt("k1", EncryptionContext.forTopic("cluster-2", "a"), new byte[1], aad));
        retry(() -> enc.encrypt("k1", ctx("a"), new byte[1], aad));
        assertThat(kek.generated).hasValue(4);
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
            envelopes.add(retry(() -> enc.encrypt("k", ctx(topic), new byte[8], Aad.of(topic))));
        }
        retry(() -> dec.decrypt(envelopes.get(0), ctx("a"), Aad.of("a")));
        retry(() -> dec.decrypt(envelopes.get(1), ctx("b"), Aad.of("b")));
        assertThat(kek.handedOut).hasSize(5);
        assertThat(encCache.size()).isEqualTo(3);
        assertThat(decCache.size()).isEqualTo(2);

        encCache.purge();
        decCache.purge();

        assertThat(kek.allHandedOutDestroyed()).isTrue();
        assertThat(encCache.size()).isZero();
        assertThat(decCache.size()).isZero();
        // after a purge, keys come back from the KEK (which may now refuse)
        assertThat(retry(() -> dec.decrypt(envelopes.get(2), ctx("c"), Aad.of("c")))).hasSize(8);
        assertThat(kek.unwrapped).hasValue(3);
        // the encryptor's per-thread shortcut must not keep using a purged DEK
        int before = kek.generated.get();
        byte[] again = retry(() -> enc.encrypt("k", ctx("c"), new byte[8], Aad.of("c")));
        assertThat(kek.generated).hasValue(before + 1);
        assertThat(retry(() -> dec.decrypt(again, ctx("c"), Aad.of("c")))).hasSize(8);
    }

    @Test
    void decryptionCacheIsBoundedInSizeAndWipesWhatItEvicts() {
        DecryptionDekCache decCache = new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 2, Duration.ofMinutes(5));
        EnvelopeDecryptor dec = new EnvelopeDecryptor(decCache);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        for (int i = 0; i < 10; i++) {
            EncryptionContext topic = ctx("t" + i);
            byte[] e = retry(() -> enc.encrypt("k", topic, new byte[1], aad));
            retry(() -> dec.decrypt(e, topic, aad));
        }
        assertThat(decCache.size()).isLessThanOrEqualTo(2);
        long wipedUnwrapped;
        synchronized (kek) {
            wipedUnwrapped = kek.handedOut.stream().filter(DataKey::isDestroyed).count();
        }
        assertThat(wipedUnwrapped).isGreaterThanOrEqualTo(8);
    }

    @Test
    void decryptionCacheEntriesExpireAfterTheirTtl() {
        AtomicLong ticks = new AtomicLong();
        Ticker ticker = ticks::get;
        DecryptionDekCache decCache = new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 100, Duration.ofSeconds(30), ticker);
        EnvelopeDecryptor dec = new EnvelopeDecryptor(decCache);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        byte[] e = retry(() -> enc.encrypt("k", ctx("t"), new byte[1], aad));
        retry(() -> dec.decrypt(e, ctx("t"), aad));
        ticks.addAndGet(Duration.ofSeconds(29).toNanos());
        retry(() -> dec.decrypt(e, ctx("t"), aad));
        assertThat(kek.unwrapped).hasValue(1);
        DataKey firstUnwrap = kek.handedOut.get(1);
        ticks.addAndGet(Duration.ofSeconds(2).toNanos());
        decCache.sweep();
        assertThat(firstUnwrap.isDestroyed()).isTrue();
        retry(() -> dec.decrypt(e, ctx("t"), aad));
        assertThat(kek.unwrapped).hasValue(2);
    }

    /**
     * The proxy seals batches through {@link EnvelopeEncryptor.Sealer}s while other calls use
     * {@code encrypt()}; both take IVs from the same DEK's counter. Sealers that hold one DEK across
     * rotations, interleaved with single encryptions on four threads: no (DEK, IV) pair twice.
     */
    @Test
    void sealersAndSingleEncryptionsOnManyThreadsNeverReuseAnIvAndEverythingDecrypts() throws Exception {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(97, Duration.ofHours(1)));
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 1000, Duration.ofMinutes(5)));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<byte[]>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    List<byte[]> out = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        byte[] pt = {(byte) i};
                        try (EnvelopeEncryptor.Sealer sealer = enc.sealer("k", ctx("t"), aad)) {
                            for (int r = 0; r < 9; r++) { // a batch of 9 records: sealers hold their DEK across records
                                byte[] e = new byte[retry(() -> sealer.envelopeLength(pt.length))];
                                sealer.seal(pt, 0, pt.length, e, 0);
                                out.add(e);
                            }
                        }
                        out.add(retry(() -> enc.encrypt("k", ctx("t"), pt, aad)));
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
                    assertThat(retry(() -> dec.decrypt(e, ctx("t"), aad))).hasSize(1);
                }
            }
            assertThat(count).isEqualTo(4 * 200 * 10);
            assertThat(ivs).as("(DEK, IV) pairs are unique").hasSize(count);
            assertThat(kek.generated.get()).isGreaterThanOrEqualTo(count / 97);
        } finally {
            pool.shutdownNow();
        }
    }
}
