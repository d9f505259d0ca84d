package io.keyhold.bench;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DekSource;
import io.keyhold.crypto.DekUnwrapper;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An in-process KMS for the benchmark: AES-GCM key wrapping under a random KEK. DEK calls are rare
 * (one per DEK), so which KMS wraps them does not change the record path being measured.
 */
final class BenchKms implements DekSource, DekUnwrapper {
    /** The KMS kind in the envelopes it wraps. */
    static final String KIND = "bench";
    private final byte[] kek = new byte[32];
    private final SecureRandom random = new SecureRandom();

    BenchKms() {
        random.nextBytes(kek);
    }

    @Override
    public CompletionStage<GeneratedDek> generate(String kekId, EncryptionContext context) {
        return CompletableFuture.completedFuture(generateNow(kekId, context));
    }

    private GeneratedDek generateNow(String kekId, EncryptionContext context) {
        DataKey dek = DataKey.generate();
        byte[] edek = dek.withKeyBytes(b -> {
            try {
                byte[] iv = new byte[12];
                random.nextBytes(iv);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
                c.updateAAD(kekId.getBytes(StandardCharsets.UTF_8));
                c.updateAAD(context.canonicalBytes());
                byte[] ct = c.doFinal(b);
                byte[] out = Arrays.copyOf(iv, 12 + ct.length);
                System.arraycopy(ct, 0, out, 12, ct.length);
                return out;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
        return new GeneratedDek(dek, new KekRef(KIND, kekId, "1"), edek);
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef ref, byte[] edek, EncryptionContext context) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, edek, 0, 12));
            c.updateAAD(ref.keyId().getBytes(StandardCharsets.UTF_8));
            c.updateAAD(context.canonicalBytes());
            return CompletableFuture.completedFuture(DataKey.fromBytesWipingSource(c.doFinal(edek, 12, edek.length - 12)));
        } catch (GeneralSecurityException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("cannot unwrap", e));
        }
    }

    /**
     * Runs {@code call} until no DEK is pending: the first use of a (KEK, context) asks the DEK
     * cache's source, and the record path gives the work back until it is there, as the proxy does.
     */
    static <T> T untilReady(java.util.function.Supplier<T> call) {
        while (true) {
            try {
                return call.get();
            } catch (io.keyhold.crypto.DekPendingException e) {
                e.ready().toCompletableFuture().join();
            }
        }
    }
}
