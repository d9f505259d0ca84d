package io.keyhold.proxy;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsDeniedException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A KMS stand-in for proxy tests, independent of the code under test: wraps DEKs with raw JCA
 * AES-GCM under a random KEK, counts its calls, and can be told to deny (key revoked). One instance
 * wraps and unwraps for every key id (its kind is {@value #KIND}), like one KMS holding many keys.
 */
public final class TestKms implements Kms {
    public static final String KIND = "test";

    private final byte[] kek = new byte[32];
    private final SecureRandom random = new SecureRandom();
    final AtomicInteger generated = new AtomicInteger();
    final AtomicInteger unwrapped = new AtomicInteger();
    volatile boolean denied;

    public TestKms() {
        random.nextBytes(kek);
    }

    @Override
    public GeneratedDek generate(String kekId) {
        checkAccess(kekId);
        generated.incrementAndGet();
        DataKey dek = DataKey.generate();
        byte[] edek = dek.withKeyBytes(b -> wrap(b, kekId));
        return new GeneratedDek(dek, new KekRef(KIND, kekId, "1"), edek);
    }

    @Override
    public DataKey unwrap(KekRef ref, byte[] edek) {
        checkAccess(ref.keyId());
        unwrapped.incrementAndGet();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, edek, 0, 12));
            c.updateAAD(ref.keyId().getBytes(StandardCharsets.UTF_8));
            return DataKey.fromBytesWipingSource(c.doFinal(edek, 12, edek.length - 12));
        } catch (GeneralSecurityException | IllegalArgumentException | java.security.ProviderException e) {
            // a damaged EDEK (too short, bad tag): refused like a real KMS refuses it
            throw new CryptoException("test KMS cannot unwrap this EDEK");
        }
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public KeyInfo describe(String keyId) {
        checkAccess(keyId);
        return new KeyInfo(keyId, KeyState.ENABLED, "AES-256-GCM", "test", "1", false, null, null);
    }

    @Override
    public KeyInfo rotate(String keyId) {
        throw new UnsupportedOperationException("the test KMS has one version per key");
    }

    @Override
    public void close() {
    }

    @Override
    public void checkAccess(String kekId) {
        if (denied) {
            throw new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "test key " + kekId + " is disabled");
        }
    }

    private byte[] wrap(byte[] dekBytes, String kekId) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(kekId.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(dekBytes);
            byte[] out = Arrays.copyOf(iv, 12 + ct.length);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
