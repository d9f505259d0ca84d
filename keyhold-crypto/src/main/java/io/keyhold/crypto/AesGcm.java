package io.keyhold.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The one place in Keyhold that builds record ciphers: AES-256-GCM through the JDK, 96-bit IVs,
 * 128-bit tags. Cipher objects are reused per thread because {@code Cipher.getInstance} is costly
 * compared to encrypting a 1 KiB record.
 */
final class AesGcm {
    static final int IV_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance(TRANSFORMATION);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no " + TRANSFORMATION, e);
        }
    });

    private AesGcm() {
    }

    /**
     * Encrypts {@code plaintext[ptOff, ptOff+ptLen)} into {@code out} at {@code outOff}
     * (ciphertext followed by the tag), authenticating {@code aad1} then {@code aad2}.
     */
    static void encrypt(DataKey key, byte[] iv, byte[] aad1, int aad1Len, byte[] aad2,
                        byte[] plaintext, int ptOff, int ptLen, byte[] out, int outOff) {
        Cipher c = CIPHERS.get();
        try {
            c.init(Cipher.ENCRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_LENGTH * 8, iv));
            c.updateAAD(aad1, 0, aad1Len);
            c.updateAAD(aad2);
            c.doFinal(plaintext, ptOff, ptLen, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /**
     * Decrypts and authenticates {@code ct[ctOff, ctOff+ctLen)} (ciphertext followed by the tag).
     *
     * @throws CryptoException when the tag does not verify (tampering, wrong key, wrong AAD)
     */
    static byte[] decrypt(DataKey key, byte[] iv, int ivOff, byte[] aad1, int aad1Off, int aad1Len, byte[] aad2,
                          byte[] ct, int ctOff, int ctLen) {
        if (ctLen < TAG_LENGTH) {
            throw new CryptoException("ciphertext shorter than its authentication tag");
        }
        Cipher c = CIPHERS.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_LENGTH * 8, iv, ivOff, IV_LENGTH));
            c.updateAAD(aad1, aad1Off, aad1Len);
            c.updateAAD(aad2);
            return c.doFinal(ct, ctOff, ctLen);
        } catch (AEADBadTagException e) {
            throw new CryptoException("authentication failed: the ciphertext was modified, or the key or associated data differ");
        } catch (GeneralSecurityException e) {
            throw new CryptoException("AES-GCM decryption failed: " + e.getClass().getSimpleName());
        }
    }
}
