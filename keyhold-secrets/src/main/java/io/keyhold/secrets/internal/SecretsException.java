package io.keyhold.secrets.internal;

/**
 * A failure the user can act on: the message says what was wrong, the optional suggestion
 * says what to do. Messages never carry plaintext secrets or key material.
 */
public final class SecretsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String suggestion;

    public SecretsException(String message) {
        this(message, null, null);
    }

    public SecretsException(String message, String suggestion) {
        this(message, suggestion, null);
    }

    public SecretsException(String message, String suggestion, Throwable cause) {
        super(message, cause);
        this.suggestion = suggestion;
    }

    /** What the user can do about it, or null. */
    public String suggestion() {
        return suggestion;
    }
}
