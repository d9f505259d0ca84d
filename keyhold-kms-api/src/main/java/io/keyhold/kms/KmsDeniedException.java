package io.keyhold.kms;

/** The KMS refused: the key cannot be used, and retrying will not change that until the customer acts. */
public class KmsDeniedException extends KmsException {
    private static final long serialVersionUID = 1L;

    /** Why the KMS refused. */
    public enum Reason {
        /** The key exists but is disabled. */
        DISABLED,
        /** Keyhold's principal is not allowed to use the key (policy, IAM, revoked grant). */
        ACCESS_DENIED,
        /** No such key (or not visible to Keyhold's principal). */
        NOT_FOUND,
        /** The key is scheduled for deletion. */
        PENDING_DELETION,
        /** The key, or the key version, is destroyed. */
        DESTROYED,
        /** The key cannot do this: wrong type or usage, wrong region. */
        INVALID_KEY,
        /**
         * The wrapped DEK is damaged, not from this key, or bound to another encryption context
         * (another cluster or topic). Says nothing about the key itself: fail the data, lock nothing.
         */
        INVALID_CIPHERTEXT
    }

    private final Reason reason;

    public KmsDeniedException(Reason reason, String message) {
        this(reason, message, null);
    }

    public KmsDeniedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    @Override
    public boolean isRetriable() {
        return false;
    }
}
