package io.keyhold.kms.vault.fake;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One Transit key of the fake, modelled on Vault's: aes256-gcm96 versions (1, 2, ...), real AES-GCM
 * with a random 96-bit nonce and the request's associated data, ciphertexts {@code vault:v<N>:<base64(nonce || sealed)>},
 * {@code min_decryption_version} and {@code deletion_allowed}.
 */
final class FakeTransitKey {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<byte[]> versions = new ArrayList<>();
    final String type;
    final boolean derived;
    int minDecryptionVersion = 1;
    boolean deletionAllowed;

    FakeTransitKey(String type, boolean derived) {
        this.type = type;
        this.derived = derived;
        rotate();
    }

    synchronized void rotate() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        versions.add(k);
    }

    synchronized int latest() {
        return versions.size();
    }

    synchronized String encrypt(byte[] plaintext, byte[] aad) throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        Cipher c = cipher(Cipher.ENCRYPT_MODE, versions.size(), nonce, aad);
        byte[] sealed = c.doFinal(plaintext);
        byte[] out = new byte[12 + sealed.length];
        System.arraycopy(nonce, 0, out, 0, 12);
        System.arraycopy(sealed, 0, out, 12, sealed.length);
        return "vault:v" + versions.size() + ":" + Base64.getEncoder().encodeToString(out);
    }

    /** The plaintext, or the error text Vault answers with a 400. */
    synchronized Object decrypt(String ciphertext, byte[] aad) {
        String[] parts = ciphertext.split(":", 3);
        if (parts.length != 3 || !parts[0].equals("vault") || !parts[1].startsWith("v")) {
            return "invalid ciphertext: no prefix";
        }
        int version;
        try {
            version = Integer.parseInt(parts[1].substring(1));
        } catch (NumberFormatException e) {
            return "invalid ciphertext: could not parse version";
        }
        if (version < 1 || version > versions.size()) {
            return "invalid ciphertext version";
        }
        if (version < minDecryptionVersion) {
            return "ciphertext or signature version is disallowed by policy (too old)";
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            return "invalid base64";
        }
        if (raw.length < 12 + 16) {
            return "invalid ciphertext length";
        }
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, version, java.util.Arrays.copyOf(raw, 12), aad);
            return c.doFinal(raw, 12, raw.length - 12);
        } catch (AEADBadTagException e) {
            return "cipher: message authentication failed";
        } catch (GeneralSecurityException e) {
            return "invalid ciphertext: " + e.getClass().getSimpleName();
        }
    }

    private Cipher cipher(int mode, int version, byte[] nonce, byte[] aad) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(versions.get(version - 1), "AES"), new GCMParameterSpec(128, nonce));
        if (aad.length > 0) {
            c.updateAAD(aad);
        }
        return c;
    }
}
