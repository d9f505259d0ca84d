package io.keyhold.kms.pkcs11.internal;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsException;
import io.keyhold.kms.KmsUnavailableException;
import java.util.Set;

/**
 * What a PKCS#11 error means for Keyhold (docs/kms/pkcs11.md has the table): the customer's acts
 * are denials (a refused PIN, a key that may not encrypt or decrypt, a removed key or token), the
 * device's troubles are "unavailable" (retry, keep serving from cache).
 */
public final class Pkcs11Errors {
    private static final Set<String> ACCESS = Set.of("CKR_PIN_INCORRECT", "CKR_PIN_LOCKED", "CKR_PIN_EXPIRED", "CKR_PIN_INVALID",
            "CKR_PIN_LEN_RANGE", "CKR_USER_NOT_LOGGED_IN", "CKR_USER_PIN_NOT_INITIALIZED", "CKR_KEY_FUNCTION_NOT_PERMITTED");
    private static final Set<String> GONE_TOKEN = Set.of("CKR_TOKEN_NOT_PRESENT", "CKR_DEVICE_REMOVED", "CKR_SLOT_ID_INVALID",
            "CKR_TOKEN_NOT_RECOGNIZED");
    private static final Set<String> GONE_KEY = Set.of("CKR_KEY_HANDLE_INVALID", "CKR_OBJECT_HANDLE_INVALID");
    private static final Set<String> WRONG_KEY = Set.of("CKR_KEY_TYPE_INCONSISTENT", "CKR_KEY_SIZE_RANGE", "CKR_MECHANISM_INVALID",
            "CKR_KEY_NOT_WRAPPABLE");

    private Pkcs11Errors() {
    }

    /** Whether the token connection that saw {@code e} should be dropped and opened afresh next time. */
    public static boolean staleToken(Throwable e) {
        String code = CryptokiException.ckr(e);
        return code != null && (GONE_TOKEN.contains(code) || code.startsWith("CKR_SESSION") || code.startsWith("CKR_PIN")
                || code.equals("CKR_USER_NOT_LOGGED_IN") || code.equals("CKR_CRYPTOKI_NOT_INITIALIZED") || code.equals("CKR_DEVICE_ERROR"));
    }

    /** The typed failure for {@code e}, thrown by {@code op} on {@code what} (a token or key, as the customer named it). */
    public static KmsException map(String op, String what, Throwable e) {
        if (e instanceof KmsException) {
            return (KmsException) e;
        }
        String code = CryptokiException.ckr(e);
        String message = op + " on " + what + " failed: " + (code != null ? code : e.getClass().getSimpleName());
        if (code == null) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, message, e);
        }
        if (ACCESS.contains(code)) {
            return new KmsDeniedException(Reason.ACCESS_DENIED, message + (code.startsWith("CKR_PIN") || code.startsWith("CKR_USER")
                    ? " (the token refused Keyhold's PIN)" : " (the key's attributes forbid it)"), e);
        }
        if (GONE_TOKEN.contains(code) || GONE_KEY.contains(code)) {
            return new KmsDeniedException(Reason.NOT_FOUND, message, e);
        }
        if (WRONG_KEY.contains(code)) {
            return new KmsDeniedException(Reason.INVALID_KEY, message, e);
        }
        return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, message, e);
    }
}
