package io.keyhold.secrets.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cryptography of Confluent-compatible secrets files: PBKDF2 master keys, data-key wrapping,
 * and value encryption (AES-GCM written, AES-GCM and legacy AES-CBC read).
 */
public final class SecretCrypto {
    public static final int KEY_LENGTH_BYTES = 32;
    public static final int DEFAULT_ITERATIONS = 10_000;
    private static final int GCM_IV_BYTES = 12;
    private static final int GCM_TAG_BITS = 128;
    private static final int SALT_BYTES = 32;

    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretCrypto() {
    }

    /** Base64 text of fresh random salt, as stored in the secrets file metadata. */
    public static String newSaltText() {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return Base64.getEncoder().encodeToString(salt);
    }

    public static byte[] newDataKey() {
        byte[] key = new byte[KEY_LENGTH_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    /**
     * Derives the master key. The salt is the ASCII of the base64 <em>text</em> stored in the
     * file (not its decoded bytes): that is what Confluent's CLI feeds PBKDF2.
     */
    public static byte[] deriveMasterKey(String passphrase, String saltText, int iterations) {
        if (iterations <= 0) {
            throw new SecretsException("invalid iteration count " + iterations + " in the secrets file metadata",
                    "Check _metadata.symmetric_key.0.iterations in the secrets file.");
        }
        char[] chars = passphrase.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars, saltText.getBytes(StandardCharsets.US_ASCII), iterations,
                KEY_LENGTH_BYTES * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA512 is not available in this JVM", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }

    /** Encrypts with AES-GCM under a fresh random IV: the only format Keyhold writes. */
    public static CipherText encrypt(byte[] plaintext, byte[] key) {
        byte[] iv = new byte[GCM_IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance(CipherText.GCM);
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(GCM_TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(plaintext);
            return new CipherText(CipherText.GCM, b64(sealed), b64(iv));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    public static CipherText encryptText(String plaintext, byte[] key) {
        byte[] bytes = plaintext.getBytes(StandardCharsets.UTF_8);
        try {
            return encrypt(bytes, key);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /**
     * Decrypts a value written with either cipher.
     *
     * @throws DecryptionFailure when the data does not authenticate or decode: the caller names the key
     * @throws SecretsException for an algorithm that no reader knows
     */
    public static byte[] decrypt(CipherText text, byte[] key) throws DecryptionFailure {
        String algorithm = text.algorithm();
        if (!CipherText.GCM.equals(algorithm) && !CipherText.CBC.equals(algorithm)) {
            throw new SecretsException("invalid algorithm \"" + algorithm + "\"",
                    "Values must be encrypted with " + CipherText.GCM + " or " + CipherText.CBC + ".");
        }
        byte[] data;
        byte[] iv;
        try {
            data = Base64.getDecoder().decode(text.data());
            iv = Base64.getDecoder().decode(text.iv());
        } catch (IllegalArgumentException e) {
            throw new DecryptionFailure();
        }
        try {
            Cipher cipher = Cipher.getInstance(algorithm);
            SecretKeySpec spec = new SecretKeySpec(key, "AES");
            if (CipherText.GCM.equals(algorithm)) {
                cipher.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(GCM_TAG_BITS, iv));
            } else {
                cipher.init(Cipher.DECRYPT_MODE, spec, new IvParameterSpec(iv));
            }
            return cipher.doFinal(data);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new DecryptionFailure();
        }
    }

    /** Decrypts a value to text; the value must be UTF-8. */
    public static String decryptText(CipherText text, byte[] key) throws DecryptionFailure {
        byte[] plain = decrypt(text, key);
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(plain)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DecryptionFailure();
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Wraps a data key: the plaintext is the base64 text of the key, as Confluent's CLI writes it. */
    public static CipherText wrapDataKey(byte[] dataKey, byte[] masterKey) {
        byte[] text = Base64.getEncoder().encode(dataKey);
        try {
            return encrypt(text, masterKey);
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    /** Unwraps a data key written by {@link #wrapDataKey} or by Confluent's CLI (GCM or CBC). */
    public static byte[] unwrapDataKey(CipherText wrapped, byte[] masterKey) throws DecryptionFailure {
        byte[] text = decrypt(wrapped, masterKey);
        try {
            byte[] key = Base64.getDecoder().decode(ByteBuffer.wrap(text)).array();
            if (key.length != KEY_LENGTH_BYTES) {
                Arrays.fill(key, (byte) 0);
                throw new DecryptionFailure();
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new DecryptionFailure();
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    /** Decodes a master key given as base64 text (44 characters for 32 bytes). */
    public static byte[] decodeMasterKey(String text, String source) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text.trim());
        } catch (IllegalArgumentException e) {
            throw new SecretsException(SecretsException.Kind.ACCESS, "the master key in " + source + " is not valid base64",
                    "Set " + source + " to the master key printed by `secret master-key generate`.");
        }
        if (key.length != KEY_LENGTH_BYTES) {
            Arrays.fill(key, (byte) 0);
            throw new SecretsException(SecretsException.Kind.ACCESS, "the master key in " + source + " is not " + KEY_LENGTH_BYTES + " bytes long",
                    "Set " + source + " to the master key printed by `secret master-key generate`.");
        }
        return key;
    }

    public static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Compares two keys in time independent of where they differ. */
    public static boolean sameKey(byte[] a, byte[] b) {
        return java.security.MessageDigest.isEqual(a, b);
    }

    public static void wipe(byte[] bytes) {
        if (bytes != null) {
            Arrays.fill(bytes, (byte) 0);
        }
    }


    /** A value or key that does not decrypt: wrong key or corrupted data. Carries no detail on purpose. */
    public static final class DecryptionFailure extends Exception {
        private static final long serialVersionUID = 1L;

        DecryptionFailure() {
            super(null, null, false, false);
        }
    }
}
