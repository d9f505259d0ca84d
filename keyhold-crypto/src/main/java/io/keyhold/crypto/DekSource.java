package io.keyhold.crypto;

/**
 * Where new DEKs come from: usually a KMS that generates a key and wraps it under a KEK.
 * Implementations throw unchecked exceptions (the KMS SPI's typed errors) on failure.
 */
@FunctionalInterface
public interface DekSource {
    /** A new DEK wrapped under the current version of KEK {@code kekId}. */
    GeneratedDek generate(String kekId);
}
