package io.keyhold.secrets.internal;

/**
 * A failure the user can act on: the message says what was wrong, the optional suggestion
 * says what to do. Messages never carry plaintext secrets or key material.
 */
public final class SecretsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit codes; the same numbers as the keyhold CLI's documented, stable ones (docs/CLI.md). */
    public enum Kind {
        ERROR(1), USAGE(2), NOT_FOUND(3), CONFLICT(4), ACCESS(5), KMS(6);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final Kind kind;
    private final String suggestion;

    public SecretsException(String message) {
        this(Kind.ERROR, message, null, null);
    }

    public SecretsException(String message, String suggestion) {
        this(Kind.ERROR, message, suggestion, null);
    }

    public SecretsException(String message, String suggestion, Throwable cause) {
        this(Kind.ERROR, message, suggestion, cause);
    }

    public SecretsException(Kind kind, String message, String suggestion) {
        this(kind, message, suggestion, null);
    }

    public SecretsException(Kind kind, String message, String suggestion, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.suggestion = suggestion;
    }

    public Kind kind() {
        return kind;
    }

    /** What the user can do about it, or null. */
    public String suggestion() {
        return suggestion;
    }
}
