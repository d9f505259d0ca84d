package io.keyhold.crypto;

/**
 * A failure that says whether trying again can help (a KMS that could not be reached) or not (a
 * KMS that refused). The DEK caches remember failures of the second kind longer.
 */
public interface Retriable {
    boolean isRetriable();
}
