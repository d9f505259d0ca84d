package io.keyhold.crypto;

/** Turns a stored EDEK back into its DEK, usually through the KMS that wrapped it. */
@FunctionalInterface
public interface DekUnwrapper {
    /** The DEK inside {@code edek}; the caller owns (and must destroy) the result. */
    DataKey unwrap(KekRef kek, byte[] edek);
}
