package io.keyhold.kms.kmip.internal;

/** Bytes that are not a well-formed KMIP TTLV message, or a message without an item it must have. */
public final class TtlvException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TtlvException(String message) {
        super(message);
    }
}
