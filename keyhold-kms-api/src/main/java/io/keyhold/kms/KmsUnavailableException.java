package io.keyhold.kms;

/** The KMS could not answer now (network, timeout, throttling, internal error): retry with backoff. */
public class KmsUnavailableException extends KmsException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        NETWORK, TIMEOUT, THROTTLED, INTERNAL
    }

    private final Reason reason;

    public KmsUnavailableException(Reason reason, String message) {
        this(reason, message, null);
    }

    public KmsUnavailableException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public boolean isRetriable() {
        return true;
    }
}
