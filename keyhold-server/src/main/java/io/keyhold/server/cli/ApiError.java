package io.keyhold.server.cli;

/** An API call failed; carries the exit code the CLI reports (the CLI's stable exit codes). */
public final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;
    private final int status;

    public ApiError(int exitCode, int status, String message) {
        super(message);
        this.exitCode = exitCode;
        this.status = status;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The HTTP status, or 0 when the server was not reached. */
    public int status() {
        return status;
    }

    /** Exit codes: 1 error, 2 usage/invalid, 3 not found, 4 conflict, 5 access. */
    static int exitCodeFor(int status) {
        return switch (status) {
            case 400, 413, 422 -> 2;
            case 404 -> 3;
            case 402, 409 -> 4;
            case 401, 403 -> 5;
            default -> 1;
        };
    }
}
