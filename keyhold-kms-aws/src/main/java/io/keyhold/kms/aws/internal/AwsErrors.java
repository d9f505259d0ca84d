package io.keyhold.kms.aws.internal;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsException;
import io.keyhold.kms.KmsUnavailableException;
import java.io.InterruptedIOException;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.model.KeyState;

/**
 * Turns what the SDK threw into the SPI's two kinds of failure: denied (the customer's key or
 * policy refuses: lock) or unavailable (KMS could not answer now: retry). Messages name the
 * operation, the key and AWS's error code and text (which may name ARNs and principals, never
 * credentials or key material).
 */
public final class AwsErrors {
    /** The request's credentials or signature were refused: an operator must fix them, retrying will not help. */
    private static final Set<String> CREDENTIALS_REFUSED = Set.of("UnrecognizedClientException", "InvalidSignatureException",
            "IncompleteSignatureException", "MissingAuthenticationTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch");
    private static final Set<String> THROTTLED = Set.of("ThrottlingException", "LimitExceededException", "TooManyRequestsException",
            "RequestLimitExceeded", "ThrottledException");

    private AwsErrors() {
    }

    /**
     * @param state looks the key's state up when AWS says only "invalid state" (one DescribeKey on
     *              this error path); may itself throw a mapped {@link KmsException}
     */
    public static RuntimeException map(String op, KeyArn key, SdkException e, Supplier<KeyState> state) {
        if (e instanceof AwsServiceException) {
            return service(op, key, (AwsServiceException) e, state);
        }
        String what = "AWS KMS " + op + " of " + key + " failed: ";
        if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException || causedByTimeout(e)) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT, what + e.getMessage(), e);
        }
        if (e instanceof AbortedException) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, what + "the call was aborted", e);
        }
        return new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, what + e.getMessage(), e);
    }

    private static RuntimeException service(String op, KeyArn key, AwsServiceException e, Supplier<KeyState> state) {
        String code = e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
        String text = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
        String what = "AWS KMS " + op + " of " + key + ": " + code + (text == null ? "" : ": " + text);
        switch (code) {
            case "AccessDeniedException":
                return denied(Reason.ACCESS_DENIED, what, e);
            case "DisabledException":
                return denied(Reason.DISABLED, what, e);
            case "NotFoundException":
                return denied(Reason.NOT_FOUND, what, e);
            case "InvalidCiphertextException":
            case "IncorrectKeyException":
                return denied(Reason.INVALID_CIPHERTEXT, what, e);
            case "InvalidKeyUsageException":
            case "UnsupportedOperationException":
            case "InvalidArnException":
                return denied(Reason.INVALID_KEY, what, e);
            case "KMSInvalidStateException":
                return invalidState(what, e, state);
            case "ValidationException":
                return new IllegalArgumentException(what, e);
            case "DependencyTimeoutException":
                return unavailable(KmsUnavailableException.Reason.TIMEOUT, what, e);
            case "KeyUnavailableException": // AWS: "the key was not available. You can retry the request."
            case "KMSInternalException":
            case "ConflictException": // e.g. a rotation already under way
            case "ExpiredTokenException": // the credentials provider renews them on the next call
            case "RequestExpired":
                return unavailable(KmsUnavailableException.Reason.INTERNAL, what, e);
            default:
                break;
        }
        if (CREDENTIALS_REFUSED.contains(code)) {
            return denied(Reason.ACCESS_DENIED, what + " (the AWS credentials Keyhold uses were refused)", e);
        }
        if (THROTTLED.contains(code) || e.isThrottlingException()) {
            return unavailable(KmsUnavailableException.Reason.THROTTLED, what, e);
        }
        if (e.statusCode() >= 500 || e.statusCode() == 0) {
            return unavailable(KmsUnavailableException.Reason.INTERNAL, "AWS KMS " + op + " of " + key + ": HTTP " + e.statusCode()
                    + (code.isEmpty() ? "" : " " + code), e);
        }
        return denied(Reason.INVALID_KEY, what, e);
    }

    private static RuntimeException invalidState(String what, AwsServiceException e, Supplier<KeyState> state) {
        KeyState s;
        try {
            s = state.get();
        } catch (KmsException lookup) {
            return lookup; // the key vanished meanwhile, access went, ...: that answer is the better one
        }
        if (s == KeyState.PENDING_DELETION || s == KeyState.PENDING_REPLICA_DELETION) {
            return denied(Reason.PENDING_DELETION, what, e);
        }
        if (s == KeyState.DISABLED || s == KeyState.UNAVAILABLE || s == KeyState.PENDING_IMPORT) {
            return denied(Reason.DISABLED, what + " (key state " + s + ")", e);
        }
        if (s == KeyState.CREATING || s == KeyState.UPDATING || s == KeyState.ENABLED) {
            return unavailable(KmsUnavailableException.Reason.INTERNAL, what + " (key state " + s + ", transient)", e);
        }
        return denied(Reason.INVALID_KEY, what + " (key state " + s + ")", e);
    }

    private static boolean causedByTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InterruptedIOException) { // SocketTimeoutException is one
                return true;
            }
        }
        return false;
    }

    private static KmsDeniedException denied(Reason reason, String message, Throwable cause) {
        return new KmsDeniedException(reason, message, cause);
    }

    private static KmsUnavailableException unavailable(KmsUnavailableException.Reason reason, String message, Throwable cause) {
        return new KmsUnavailableException(reason, message, cause);
    }
}
