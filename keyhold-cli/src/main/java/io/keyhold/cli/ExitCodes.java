package io.keyhold.cli;

/** Exit codes scripts can rely on. Documented in {@code docs/CLI.md}; never renumber. */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** An unexpected failure (I/O, a bug); the message says what happened. */
    public static final int ERROR = 1;
    /** The command line was wrong: unknown command or option, missing or malformed value. */
    public static final int USAGE = 2;
    /** The named object does not exist. */
    public static final int NOT_FOUND = 3;
    /** The request conflicts with the current state (name taken, key in the wrong state). */
    public static final int CONFLICT = 4;
    /** A store or credential could not be opened: wrong passphrase, missing passphrase, corrupted file. */
    public static final int ACCESS = 5;
    /** A KMS refused or could not be reached. */
    public static final int KMS = 6;

    private ExitCodes() {
    }
}
