package io.keyhold.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A KEK for tests, independent of the code under test: it wraps DEKs with raw JCA AES-GCM, counts
 * its calls (to prove caching), and remembers every DEK it handed out (to prove wiping).
 */
final class TestKek implements DekSource, DekUnwrapper {
    private final byte[] kek = new byte[32];
    final AtomicInteger generated = new AtomicInteger();
    final AtomicInteger unwrapped = new AtomicInteger();
    final List<DataKey> handedOut = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();

    TestKek() {
        random.nextBytes(kek);
    }

    @Override
    public synchronized GeneratedDek generate(String kekId) {
        generated.incrementAndGet();
        DataKey dek = DataKey.generate();
        handedOut.add(dek);
        byte[] edek = dek.withKeyBytes(b -> wrap(b, kekId));
        return new GeneratedDek(dek, new KekRef("test", kekId, "1"), edek);
    }

    @Override
    public synchronized DataKey unwrap(KekRef ref, byte[] edek) {
        unwrapped.incrementAndGet();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, edek, 0, 12));
            c.updateAAD(ref.keyId().getBytes());
            DataKey dek = DataKey.fromBytesWipingSource(c.doFinal(edek, 12, edek.length - 12));
            handedOut.add(dek);
            return dek;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CryptoException("test KEK cannot unwrap this EDEK");
        }
    }

    private byte[] wrap(byte[] dekBytes, String kekId) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(kekId.getBytes());
            byte[] ct = c.doFinal(dekBytes);
            byte[] out = Arrays.copyOf(iv, 12 + ct.length);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    synchronized boolean allHandedOutDestroyed() {
        return handedOut.stream().allMatch(DataKey::isDestroyed);
    }
}
