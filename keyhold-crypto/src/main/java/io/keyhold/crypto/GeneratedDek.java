package io.keyhold.crypto;

import java.util.Objects;

/**
 * A freshly generated DEK together with its wrapped form (EDEK) and the KEK that wrapped it.
 * The plaintext {@link #dek()} stays in memory; only {@link #edek()} is ever stored.
 */
public record GeneratedDek(DataKey dek, KekRef kek, byte[] edek) {
    public GeneratedDek {
        Objects.requireNonNull(dek, "dek");
        Objects.requireNonNull(kek, "kek");
        Objects.requireNonNull(edek, "edek");
        if (edek.length == 0 || edek.length > 65535) {
            throw new IllegalArgumentException("wrapped DEK must be 1..65535 bytes, got " + edek.length);
        }
        edek = edek.clone();
    }

    @Override
    public byte[] edek() {
        return edek.clone();
    }
}
