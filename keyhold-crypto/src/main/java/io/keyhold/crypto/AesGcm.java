package io.keyhold.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The one place in Keyhold that builds record ciphers: AES-256-GCM through the JDK, 96-bit IVs,
 * 128-bit tags. Cipher objects are reused per thread because {@code Cipher.getInstance} is costly
 * compared to encrypting a 1 KiB record. GCM needs an {@code init} per message (a new IV), and each
 * {@code init} takes a copy of the key bytes: the copies go through the thread's
 * {@link ProviderKeyView} and are wiped as soon as {@code init} returns.
 */
final class AesGcm {
    static final int IV_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private static final ThreadLocal<ThreadCipher> CIPHERS = ThreadLocal.withInitial(() -> new ThreadCipher(new ProviderKeyView()));

    /** One thread's cipher object and the key view it is initialised through. */
    static final class ThreadCipher {
        final Cipher cipher;
        final ProviderKeyView keyView;
        /** Where an IV not stored whole in its envelope (the compact layout) is rebuilt; not secret. */
        final byte[] ivScratch = new byte[IV_LENGTH];

        ThreadCipher(ProviderKeyView keyView) {
            try {
                this.cipher = Cipher.getInstance(TRANSFORMATION);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK offers no " + TRANSFORMATION, e);
            }
            this.keyView = keyView;
        }

        /** Initialises the cipher for one message; the key bytes the provider copied are wiped before this returns. */
        void init(int mode, DataKey key, byte[] iv, int ivOff) throws GeneralSecurityException {
            try {
                cipher.init(mode, keyView.showing(key), new GCMParameterSpec(TAG_LENGTH * 8, iv, ivOff, IV_LENGTH));
            } finally {
                keyView.wipeCopies();
            }
        }
    }

    private AesGcm() {
    }

    /** {@code a || b}: associated data made of a fixed prefix and the caller's context. */
    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** SHA-256 of {@code buf[off..off+len)}. */
    static byte[] sha256(byte[] buf, int off, int len) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(buf, off, len);
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no SHA-256", e);
        }
    }

    /**
     * Encrypts {@code plaintext[ptOff, ptOff+ptLen)} into {@code out} at {@code outOff}
     * (ciphertext followed by the tag), authenticating {@code aad}. The associated data goes in as
     * one array: the JDK buffers it, and one short array is markedly cheaper than several.
     */
    static void encrypt(DataKey key, byte[] iv, byte[] aad,
                        byte[] plaintext, int ptOff, int ptLen, byte[] out, int outOff) {
        encrypt(key, iv, 0, aad, plaintext, ptOff, ptLen, out, outOff);
    }

    /** As above, with the IV at {@code iv[ivOff, ivOff+12)} (it may lie in {@code out}, before {@code outOff}). */
    static void encrypt(DataKey key, byte[] iv, int ivOff, byte[] aad,
                        byte[] plaintext, int ptOff, int ptLen, byte[] out, int outOff) {
        encrypt(CIPHERS.get(), key, iv, ivOff, aad, plaintext, ptOff, ptLen, out, outOff);
    }

    /** This thread's cipher object, for callers that make many calls in a row (one lookup, not one per call). */
    static ThreadCipher threadCipher() {
        return CIPHERS.get();
    }

    /** As above, with a cipher from {@link #threadCipher()} of the calling thread. */
    static void encrypt(ThreadCipher tc, DataKey key, byte[] iv, int ivOff, byte[] aad,
                        byte[] plaintext, int ptOff, int ptLen, byte[] out, int outOff) {
        encrypt(tc, key, iv, ivOff, aad, aad.length, plaintext, ptOff, ptLen, out, outOff);
    }

    /** As above, with the associated data in {@code aad[0, aadLength)} (a reused scratch array). */
    static void encrypt(ThreadCipher tc, DataKey key, byte[] iv, int ivOff, byte[] aad, int aadLength,
                        byte[] plaintext, int ptOff, int ptLen, byte[] out, int outOff) {
        try {
            tc.init(Cipher.ENCRYPT_MODE, key, iv, ivOff);
            tc.cipher.updateAAD(aad, 0, aadLength);
            tc.cipher.doFinal(plaintext, ptOff, ptLen, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /**
     * Decrypts and authenticates {@code ct[ctOff, ctOff+ctLen)} (ciphertext followed by the tag).
     *
     * @throws CryptoException when the tag does not verify (tampering, wrong key, wrong AAD)
     */
    static byte[] decrypt(DataKey key, byte[] iv, int ivOff, byte[] aad, byte[] ct, int ctOff, int ctLen) {
        if (ctLen < TAG_LENGTH) {
            throw new CryptoException("ciphertext shorter than its authentication tag");
        }
        byte[] out = new byte[ctLen - TAG_LENGTH];
        decrypt(key, iv, ivOff, aad, ct, ctOff, ctLen, out, 0);
        return out;
    }

    /**
     * As above, writing the {@code ctLen - 16} plaintext bytes to {@code out} at {@code outOff}.
     * When the tag does not verify, that range of {@code out} is zeroed: no unauthenticated
     * plaintext is left behind, whatever the provider wrote there.
     */
    static void decrypt(DataKey key, byte[] iv, int ivOff, byte[] aad, byte[] ct, int ctOff, int ctLen, byte[] out, int outOff) {
        decrypt(CIPHERS.get(), key, iv, ivOff, aad, ct, ctOff, ctLen, out, outOff);
    }

    /** As above, with a cipher from {@link #threadCipher()} of the calling thread. */
    static void decrypt(ThreadCipher tc, DataKey key, byte[] iv, int ivOff, byte[] aad, byte[] ct, int ctOff, int ctLen,
                        byte[] out, int outOff) {
        decrypt(tc, key, iv, ivOff, aad, aad.length, ct, ctOff, ctLen, out, outOff);
    }

    /** As above, with the associated data in {@code aad[0, aadLength)} (a reused scratch array). */
    static void decrypt(ThreadCipher tc, DataKey key, byte[] iv, int ivOff, byte[] aad, int aadLength, byte[] ct, int ctOff, int ctLen,
                        byte[] out, int outOff) {
        if (ctLen < TAG_LENGTH) {
            throw new CryptoException("ciphertext shorter than its authentication tag");
        }
        try {
            tc.init(Cipher.DECRYPT_MODE, key, iv, ivOff);
            tc.cipher.updateAAD(aad, 0, aadLength);
            tc.cipher.doFinal(ct, ctOff, ctLen, out, outOff);
        } catch (AEADBadTagException e) {
            java.util.Arrays.fill(out, outOff, outOff + ctLen - TAG_LENGTH, (byte) 0);
            throw new CryptoException("authentication failed: the ciphertext was modified, or the key or associated data differ");
        } catch (GeneralSecurityException e) {
            throw new CryptoException("AES-GCM decryption failed: " + e.getClass().getSimpleName());
        }
    }
}
