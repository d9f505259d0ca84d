package io.keyhold.cli.internal;

import io.keyhold.cli.ExitCodes;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsException;
import io.keyhold.kms.local.LocalKmsException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns exceptions into one line on stderr ("Error: what was wrong. What to do.") and a stable exit
 * code. Stack traces are shown only with {@code KEYHOLD_DEBUG=1}.
 */
public final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        err.println("Error: " + messageOf(ex));
        if ("1".equals(System.getenv("KEYHOLD_DEBUG"))) {
            ex.printStackTrace(err);
        }
        err.flush();
        return exitCodeOf(ex);
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("Error: " + ex.getMessage());
        err.println("Run '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return ExitCodes.USAGE;
    }

    static String messageOf(Throwable ex) {
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    /** Maps exception types to {@link ExitCodes}; command modules throw {@link CliException} for their own cases. */
    public static int exitCodeOf(Throwable ex) {
        if (ex instanceof CliException) {
            return ((CliException) ex).exitCode();
        }
        if (ex instanceof KmsDeniedException && ((KmsDeniedException) ex).reason() == KmsDeniedException.Reason.NOT_FOUND) {
            return ExitCodes.NOT_FOUND;
        }
        if (ex instanceof KmsException) {
            return ExitCodes.KMS;
        }
        if (ex instanceof LocalKmsException) {
            switch (((LocalKmsException) ex).kind()) {
                case NAME_TAKEN:
                case INVALID_STATE:
                    return ExitCodes.CONFLICT;
                case INVALID_NAME:
                    return ExitCodes.USAGE;
                case STORE_IO:
                    return ExitCodes.ERROR;
                default:
                    return ExitCodes.ACCESS;
            }
        }
        if (ex instanceof IllegalArgumentException) {
            return ExitCodes.USAGE;
        }
        return ExitCodes.ERROR;
    }
}
