package io.keyhold.kms;

import io.keyhold.crypto.KekRef;
import java.util.Objects;

/**
 * A key the caller already had, wrapped by {@link Kms#wrap}: under {@code kek}, as the KMS's
 * ciphertext {@code edek}. Holds no plaintext.
 */
public record WrappedKey(KekRef kek, byte[] edek) {
    public WrappedKey {
        Objects.requireNonNull(kek, "kek");
        Objects.requireNonNull(edek, "edek");
        edek = edek.clone();
    }

    @Override
    public byte[] edek() {
        return edek.clone();
    }

    @Override
    public String toString() {
        return "WrappedKey[" + kek + ", " + edek.length + " bytes]";
    }
}
