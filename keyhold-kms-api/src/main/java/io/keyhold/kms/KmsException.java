package io.keyhold.kms;

/**
 * A KMS call failed. Two kinds, and callers must treat them differently:
 * {@link KmsDeniedException} (lock: the customer took the key away) and
 * {@link KmsUnavailableException} (retry: the KMS could not be reached or answered in time).
 * Messages never contain key material.
 */
public abstract class KmsException extends RuntimeException implements io.keyhold.crypto.Retriable {
    private static final long serialVersionUID = 1L;

    protected KmsException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True for errors worth retrying. */
    @Override
    public abstract boolean isRetriable();
}
