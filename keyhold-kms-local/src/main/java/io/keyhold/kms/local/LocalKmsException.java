package io.keyhold.kms.local;

/**
 * A local KMS operation that cannot be done: the store cannot be opened (wrong passphrase,
 * corrupted, unreadable), or the request conflicts with a key's name or state. The message says
 * what is wrong and what to do; it never contains key material or the passphrase.
 */
public class LocalKmsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What kind of problem this is, so that a CLI can choose its exit code. */
    public enum Kind {
        WRONG_PASSPHRASE, STORE_CORRUPTED, STORE_IO, PASSPHRASE_REQUIRED, NAME_TAKEN, INVALID_NAME, INVALID_STATE
    }

    private final Kind kind;

    public LocalKmsException(Kind kind, String message) {
        this(kind, message, null);
    }

    public LocalKmsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
