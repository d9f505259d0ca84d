package io.keyhold.server.internal.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Verifies the slow hashes that earlier versions stored for API secrets:
 * {@code pbkdf2-sha512$<iterations>$<salt>$<key>} (PBKDF2-HMAC-SHA512, 210,000 iterations). Nothing
 * new is hashed this way: {@link Authenticator} verifies such a hash once, on the key's next
 * successful login, and replaces it with an {@link ApiSecretHashes} hash.
 */
final class LegacyPbkdf2Hashes {
    private static final String PREFIX = "pbkdf2-sha512$";

    private LegacyPbkdf2Hashes() {
    }

    static boolean isLegacy(String stored) {
        return stored.startsWith(PREFIX);
    }

    static boolean verify(String secret, String stored) {
        String[] parts = stored.split("\\$");
        if (parts.length != 4 || !isLegacy(stored)) {
            return false;
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] expected = Base64.getDecoder().decode(parts[3]);
            return MessageDigest.isEqual(expected, derive(secret, salt, iterations, expected.length * 8));
        } catch (IllegalArgumentException e) {
            return false; // a damaged hash matches nothing
        }
    }

    private static byte[] derive(String secret, byte[] salt, int iterations, int bits) {
        char[] chars = secret.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, bits);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA512 is not available", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }
}
