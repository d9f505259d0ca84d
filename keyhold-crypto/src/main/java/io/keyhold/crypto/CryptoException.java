package io.keyhold.crypto;

/**
 * A ciphertext could not be decrypted: malformed, tampered with, bound to other AAD, truncated, or
 * under a KEK the decryptor may not use ({@link ForeignKekException}).
 */
public class CryptoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CryptoException(String message) {
        super(message);
    }

    public CryptoException(String message, Throwable cause) {
        super(message, cause);
    }
}
