package io.keyhold.bench;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekRotationPolicy;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.crypto.KekRef;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Keyhold's envelope encryption and decryption against raw JCA AES-256-GCM on the same payloads.
 * The raw baseline is the cheapest correct use of JCA: a reused Cipher, a counter IV, the topic as
 * AAD. Keyhold adds the DEK cache lookup, the header, and the header in the AAD.
 * The KMS is out of the picture: a DEK is generated once and served from the caches, as in steady state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EnvelopeBench {
    @Param({"1024", "65536"})
    int size;

    private byte[] payload;
    private final Aad aad = Aad.of("topic:orders");
    private static final io.keyhold.crypto.EncryptionContext CONTEXT = io.keyhold.crypto.EncryptionContext.forTopic("bench", "orders");
    private final byte[] aadBytes = "topic:orders".getBytes(StandardCharsets.UTF_8);
    private EnvelopeEncryptor encryptor;
    private EnvelopeDecryptor decryptor;
    private byte[] envelope;
    private byte[] header;
    private byte[] recordAad;

    private Cipher raw;
    private SecretKeySpec rawKey;
    private byte[] rawIv;
    private long counter;
    private byte[] rawCiphertext;
    private byte[] rawCiphertextIv;

    @Setup
    public void setup() throws Exception {
        payload = new byte[size];
        new SecureRandom().nextBytes(payload);
        byte[] keyBytes = new byte[32];
        new SecureRandom().nextBytes(keyBytes);
        KekRef kek = new KekRef("local", "orders-key", "1");
        byte[] edek = new byte[61]; // the size of a local-KMS wrapped DEK
        encryptor = new EnvelopeEncryptor(new EncryptionDekCache(
                (id, ctx) -> java.util.concurrent.CompletableFuture.completedFuture(
                        new GeneratedDek(DataKey.fromBytesWipingSource(keyBytes.clone()), kek, edek)),
                new DekRotationPolicy(1L << 32, Duration.ofDays(1))));
        decryptor = new EnvelopeDecryptor(new DecryptionDekCache(
                (k, e, ctx) -> java.util.concurrent.CompletableFuture.completedFuture(DataKey.fromBytesWipingSource(keyBytes.clone())),
                KekPolicy.onlyKey(kek.provider(), kek.keyId()), 1000, Duration.ofHours(1)));
        envelope = BenchKms.untilReady(() -> encryptor.encrypt("orders-key", CONTEXT, payload, aad));
        BenchKms.untilReady(() -> decryptor.decrypt(envelope, CONTEXT, aad));
        header = java.util.Arrays.copyOf(envelope, envelope.length - 12 - 16 - size);
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(header);
        recordAad = java.util.Arrays.copyOf(digest, digest.length + aadBytes.length);
        System.arraycopy(aadBytes, 0, recordAad, digest.length, aadBytes.length);

        raw = Cipher.getInstance("AES/GCM/NoPadding");
        rawKey = new SecretKeySpec(keyBytes, "AES");
        rawIv = new byte[12];
        rawCiphertext = rawEncrypt();
        rawCiphertextIv = rawIv.clone();
    }

    @Benchmark
    public byte[] keyholdEncrypt() {
        return encryptor.encrypt("orders-key", CONTEXT, payload, aad);
    }

    @Benchmark
    public byte[] keyholdDecrypt() {
        return decryptor.decrypt(envelope, CONTEXT, aad);
    }

    @Benchmark
    public byte[] rawJcaEncrypt() throws Exception {
        return rawEncrypt();
    }

    /**
     * Raw JCA doing what the envelope format asks (SHA-256 of the header, computed once per DEK, plus
     * the topic as AAD; header and IV in the output): the format's own cost, without Keyhold's caches.
     */
    @Benchmark
    public byte[] rawJcaEncryptEnvelopeLayout() throws Exception {
        long n = ++counter;
        for (int i = 0; i < 8; i++) {
            rawIv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        byte[] out = new byte[header.length + 12 + payload.length + 16];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(rawIv, 0, out, header.length, 12);
        raw.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawIv));
        raw.updateAAD(recordAad);
        raw.doFinal(payload, 0, payload.length, out, header.length + 12);
        return out;
    }

    @Benchmark
    public byte[] rawJcaDecrypt() throws Exception {
        raw.init(Cipher.DECRYPT_MODE, rawKey, new GCMParameterSpec(128, rawCiphertextIv));
        raw.updateAAD(aadBytes);
        return raw.doFinal(rawCiphertext);
    }

    private byte[] rawEncrypt() throws Exception {
        long n = ++counter;
        for (int i = 0; i < 8; i++) {
            rawIv[4 + i] = (byte) (n >>> (56 - 8 * i));
        }
        raw.init(Cipher.ENCRYPT_MODE, rawKey, new GCMParameterSpec(128, rawIv));
        raw.updateAAD(aadBytes);
        return raw.doFinal(payload);
    }
}
