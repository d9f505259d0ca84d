package io.keyhold.crypto;

import java.util.concurrent.CompletionStage;

/**
 * Turns a stored EDEK back into its DEK, usually through the KMS that wrapped it. Asynchronous:
 * {@link #unwrap} returns at once and never blocks its caller; failures complete the stage
 * exceptionally.
 */
@FunctionalInterface
public interface DekUnwrapper {
    /**
     * The DEK inside {@code edek}, which must have been wrapped with the same {@code context}; the
     * caller owns (and must destroy) the result.
     */
    CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context);
}
