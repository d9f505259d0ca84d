package io.keyhold.bench;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DekSource;
import io.keyhold.crypto.DekUnwrapper;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
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
    public GeneratedDek generate(String kekId) {
        DataKey dek = DataKey.generate();
        byte[] edek = dek.withKeyBytes(b -> {
            try {
                byte[] iv = new byte[12];
                random.nextBytes(iv);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
                c.updateAAD(kekId.getBytes(StandardCharsets.UTF_8));
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
    public DataKey unwrap(KekRef ref, byte[] edek) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, edek, 0, 12));
            c.updateAAD(ref.keyId().getBytes(StandardCharsets.UTF_8));
            return DataKey.fromBytesWipingSource(c.doFinal(edek, 12, edek.length - 12));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot unwrap", e);
        }
    }
}
