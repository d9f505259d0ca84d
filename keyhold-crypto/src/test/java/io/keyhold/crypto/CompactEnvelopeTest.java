package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Envelope version 2, the compact layout of records under a cluster key (docs/FORMAT.md, "Envelope version 2"). */
class CompactEnvelopeTest {
    private final HexFormat hex = HexFormat.of();
    private final EncryptionContext orders = EncryptionContext.forTopic("c1", "orders");
    private final Aad aad = Aad.of("topic:orders");
    private final ClusterKey ck = new ClusterKey(ClusterKey.newId(), DataKey.generate());
    private final ClusterKeyDeks deks = new ClusterKeyDeks(ClusterKeyDeks.Keyring.of(ck),
            (k, e, c) -> CompletableFuture.failedFuture(new AssertionError("no KMS call under a cluster key")));
    private final EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(deks,
            KekPolicy.onlyKey("local", "orders-key").andAnyKeyOf(ClusterKey.PROVIDER), 1000, Duration.ofMinutes(5)));

    @AfterEach
    void wipe() {
        ck.close();
    }

    private EnvelopeEncryptor encryptor(DekRotationPolicy policy) {
        return new EnvelopeEncryptor(new EncryptionDekCache(deks, policy));
    }

    @Test
    void formatIsWhatTheDocumentSays() throws Exception {
        byte[] pt = "Keyhold compact envelope".getBytes(StandardCharsets.UTF_8);
        EnvelopeEncryptor enc = encryptor(DekRotationPolicy.DEFAULT);
        retry(() -> enc.encrypt("orders-key", orders, new byte[1], aad)); // use 0
        byte[] env = retry(() -> enc.encrypt("orders-key", orders, pt, aad)); // use 1
        assertThat(env.length).isEqualTo(3 + 8 + 12 + 4 + pt.length + 16);
        assertThat(Arrays.copyOfRange(env, 0, 3)).containsExactly(0x4b, 0x48, 0x02);
        assertThat(Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOfRange(env, 3, 11))).isEqualTo(ck.id());
        byte[] dekId = Arrays.copyOfRange(env, 11, 23);
        assertThat(Arrays.copyOfRange(env, 23, 27)).containsExactly(0, 0, 0, 1);
        // Raw JCA: DEK = HKDF(CK, context || DEK id), IV = DEK id[0,8) || counter, AAD = SHA-256(23-byte header) || AAD.
        byte[] key = ck.derive(orders, dekId).withKeyBytes(byte[]::clone);
        byte[] iv = new byte[12];
        System.arraycopy(dekId, 0, iv, 0, 8);
        System.arraycopy(env, 23, iv, 8, 4);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(AesGcm.concat(AesGcm.sha256(env, 0, 23), aad.bytes()));
        assertThat(c.doFinal(env, 27, env.length - 27)).isEqualTo(pt);
        assertThat(retry(() -> dec.decrypt(env, orders, aad))).isEqualTo(pt);
        assertThat(EnvelopeFormat.kekOf(env)).isEqualTo(ck.kekRef());
    }

    @Test
    void everyByteIsAuthenticated() {
        EnvelopeEncryptor enc = encryptor(DekRotationPolicy.DEFAULT);
        byte[] env = retry(() -> enc.encrypt("orders-key", orders, new byte[10], aad));
        retry(() -> dec.decrypt(env, orders, aad)); // the DEK is cached: failures below are the bytes', not a pending key
        for (int i = 0; i < env.length; i++) {
            byte[] bad = env.clone();
            bad[i] ^= 1;
            assertThatThrownBy(() -> retry(() -> dec.decrypt(bad, orders, aad))).as("byte %d", i).isInstanceOf(CryptoException.class);
        }
        assertThatThrownBy(() -> retry(() -> dec.decrypt(env, orders, Aad.of("topic:payments")))).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> retry(() -> dec.decrypt(Arrays.copyOf(env, 26), orders, aad))).isInstanceOf(CryptoException.class);
    }

    /**
     * The IV stores only the counter, so its uniqueness rests on the use counter: across many sealers on
     * several threads, rotations included, no (DEK, IV) pair repeats, and each DEK's counters are 0..n-1.
     */
    @Test
    void ivsNeverRepeatUnderOneDekOnTheSealerPath() throws Exception {
        int perDek = 50;
        EnvelopeEncryptor enc = encryptor(new DekRotationPolicy(perDek, Duration.ofHours(1)));
        int threads = 4;
        int perThread = 1000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<byte[]>>> runs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            runs.add(pool.submit(() -> {
                List<byte[]> out = new ArrayList<>();
                byte[] tail = {1, 0, 0, 0, 1, 'k'};
                for (int batch = 0; batch < perThread / 10; batch++) {
                    try (EnvelopeEncryptor.Sealer s = enc.sealer("orders-key", orders, aad)) {
                        for (int i = 0; i < 10; i++) {
                            byte[] pt = {(byte) i};
                            int n = retry(() -> s.envelopeLength(pt.length));
                            byte[] env = new byte[n];
                            s.seal(pt, 0, 1, env, 0, tail, 0, tail.length);
                            out.add(env);
                        }
                    }
                }
                return out;
            }));
        }
        Map<String, Set<Long>> countersByDek = new HashMap<>();
        Set<String> ivs = new HashSet<>();
        int total = 0;
        for (Future<List<byte[]>> r : runs) {
            for (byte[] env : r.get(60, TimeUnit.SECONDS)) {
                total++;
                String dekId = hex.formatHex(env, 11, 23);
                long counter = Bytes.getInt(env, 23) & 0xFFFF_FFFFL;
                byte[] iv = new byte[12];
                CompactEnvelope.iv(env, 0, iv);
                assertThat(ivs.add(dekId + "/" + hex.formatHex(iv))).as("IV repeated under DEK %s", dekId).isTrue();
                assertThat(countersByDek.computeIfAbsent(dekId, k -> new HashSet<>()).add(counter)).isTrue();
                assertThat(counter).isBetween(0L, perDek - 1L);
            }
        }
        pool.shutdown();
        assertThat(total).isEqualTo(threads * perThread);
        assertThat(countersByDek.size()).isGreaterThanOrEqualTo(total / perDek);
        // A sealer closed with a reserved use skips that counter, never hands it out twice.
        assertThat(countersByDek.values().stream().mapToInt(Set::size).sum()).isEqualTo(total);
    }

    @Test
    void theCounterCannotWrap() {
        byte[] out = new byte[4];
        CompactEnvelope.putCounter(CompactEnvelope.MAX_COUNTER, out, 0);
        assertThat(out).containsExactly(0xff, 0xff, 0xff, 0xff);
        assertThatThrownBy(() -> CompactEnvelope.putCounter(CompactEnvelope.MAX_COUNTER + 1, out, 0))
                .isInstanceOf(IllegalStateException.class);
        // The rotation policy's ceiling is what keeps every use inside the counter.
        assertThat(DekRotationPolicy.MAX_ENCRYPTIONS_LIMIT - 1).isEqualTo(CompactEnvelope.MAX_COUNTER);
    }

    @Test
    void aStreamNeverTakesTheCompactLayout() {
        EnvelopeEncryptor enc = encryptor(DekRotationPolicy.DEFAULT);
        byte[] env = retry(() -> enc.encrypt("orders-key", orders, new byte[100], aad));
        assertThatThrownBy(() -> StreamingEnvelope.decrypting(new ByteArrayInputStream(env), deks,
                KekPolicy.onlyKey("local", "orders-key").andAnyKeyOf(ClusterKey.PROVIDER), orders, aad).readAllBytes())
                .isInstanceOf(CryptoException.class);
    }

    @Test
    void dekIdsOfBothLayoutsDeriveDistinctKeys() {
        byte[] twelve = new byte[12];
        byte[] eight = new byte[8];
        assertThat(ck.derive(orders, twelve).withKeyBytes(byte[]::clone)).isNotEqualTo(ck.derive(orders, eight).withKeyBytes(byte[]::clone));
        assertThatThrownBy(() -> ck.derive(orders, new byte[10])).isInstanceOf(CryptoException.class);
    }
}
