package io.keyhold.crypto;

import java.util.concurrent.CompletionStage;

/**
 * Where new DEKs come from: usually a KMS that generates a key and wraps it under a KEK.
 * Asynchronous: {@link #generate} returns at once and never blocks its caller (it may be a Netty
 * event loop); failures complete the stage exceptionally (the KMS SPI's typed errors).
 */
@FunctionalInterface
public interface DekSource {
    /** A new DEK wrapped under the current version of KEK {@code kekId}, bound to {@code context}. */
    CompletionStage<GeneratedDek> generate(String kekId, EncryptionContext context);
}
