package io.keyhold.kms.gcp.internal;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsUnavailableException;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what the client failed with into the SPI's two kinds of failure: denied (the customer's
 * key or IAM refuses: lock) or unavailable (Cloud KMS could not answer now: retry). Messages name
 * the operation, the key and Google's status code and text (resource names and permissions, never
 * credentials or key material).
 */
public final class GcpErrors {
    /** Google's words when a request's CRC32C did not match its data (INVALID_ARGUMENT): damage in transit, to be retried. */
    private static final Pattern CHECKSUM = Pattern.compile("The checksum in field \\S+ did not match the data in field \\S+");
    /** FAILED_PRECONDITION's words for a version that is not enabled: "... is not enabled, current state is: DISABLED." */
    private static final Pattern STATE = Pattern.compile("current state is: ([A-Z_]+)");

    private GcpErrors() {
    }

    /**
     * @param op        e.g. {@code Encrypt}
     * @param unwrapping true for Decrypt, where INVALID_ARGUMENT means the ciphertext is damaged,
     *                  of another key, or bound to other additional authenticated data
     */
    public static RuntimeException map(String op, KeyName key, Throwable t, boolean unwrapping) {
        String what = "Cloud KMS " + op + " of " + key;
        if (t instanceof CancellationException) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, what + ": the call was cancelled", t);
        }
        if (!(t instanceof ApiException)) {
            return t instanceof RuntimeException ? (RuntimeException) t
                    : new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, what + " failed: " + t, t);
        }
        ApiException e = (ApiException) t;
        StatusCode.Code code = e.getStatusCode().getCode();
        String text = e.getMessage() == null ? "" : e.getMessage();
        String message = what + ": " + code + (text.isEmpty() ? "" : ": " + strip(text, code));
        switch (code) {
            case PERMISSION_DENIED:
                return denied(Reason.ACCESS_DENIED, message, e);
            case UNAUTHENTICATED:
                return denied(Reason.ACCESS_DENIED, message + " (the Google credentials Keyhold uses were refused)", e);
            case NOT_FOUND:
                return denied(Reason.NOT_FOUND, message, e);
            case FAILED_PRECONDITION:
                return denied(preconditionReason(text), message, e);
            case INVALID_ARGUMENT:
                if (CHECKSUM.matcher(text).find()) {
                    return unavailable(KmsUnavailableException.Reason.INTERNAL, message + " (the request was damaged in transit; retrying)", e);
                }
                return unwrapping ? denied(Reason.INVALID_CIPHERTEXT, message, e) : new IllegalArgumentException(message, e);
            case UNAVAILABLE:
                return unavailable(KmsUnavailableException.Reason.NETWORK, message, e);
            case DEADLINE_EXCEEDED:
                return unavailable(KmsUnavailableException.Reason.TIMEOUT, message, e);
            case RESOURCE_EXHAUSTED:
                return unavailable(KmsUnavailableException.Reason.THROTTLED, message, e);
            case INTERNAL:
            case UNKNOWN:
            case ABORTED:
            case CANCELLED:
            case DATA_LOSS:
            case UNIMPLEMENTED: // not Cloud KMS at that endpoint: the operator's to fix, not the customer's key
                return unavailable(KmsUnavailableException.Reason.INTERNAL, message, e);
            default: // OUT_OF_RANGE, ALREADY_EXISTS: the key cannot do this
                return denied(Reason.INVALID_KEY, message, e);
        }
    }

    /** What a FAILED_PRECONDITION says about the version Cloud KMS refused to use. */
    static Reason preconditionReason(String text) {
        Matcher m = STATE.matcher(text);
        String state = m.find() ? m.group(1) : "";
        switch (state) {
            case "DESTROYED":
            case "PENDING_EXTERNAL_DESTRUCTION":
            case "EXTERNAL_DESTRUCTION_FAILED":
                return Reason.DESTROYED;
            case "DESTROY_SCHEDULED":
                return Reason.PENDING_DELETION;
            case "":
                return text.contains("not enabled") ? Reason.DISABLED : Reason.INVALID_KEY;
            default: // DISABLED, PENDING_IMPORT, IMPORT_FAILED, GENERATION_FAILED, ...
                return Reason.DISABLED;
        }
    }

    /** Google's exception text repeats the code ("io.grpc.StatusRuntimeException: NOT_FOUND: ..."): keep the description. */
    private static String strip(String text, StatusCode.Code code) {
        int at = text.indexOf(code.name() + ": ");
        return at >= 0 ? text.substring(at + code.name().length() + 2) : text;
    }

    /** The response failed an integrity check: damage in transit, as Google says to retry. */
    public static KmsUnavailableException damaged(String op, KeyName key, String what) {
        return unavailable(KmsUnavailableException.Reason.INTERNAL, "Cloud KMS " + op + " of " + key + ": " + what + " (damaged in transit; retrying)", null);
    }

    private static KmsDeniedException denied(Reason reason, String message, Throwable cause) {
        return new KmsDeniedException(reason, message, cause);
    }

    private static KmsUnavailableException unavailable(KmsUnavailableException.Reason reason, String message, Throwable cause) {
        return new KmsUnavailableException(reason, message, cause);
    }
}
