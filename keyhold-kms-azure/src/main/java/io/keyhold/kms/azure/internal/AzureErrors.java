package io.keyhold.kms.azure.internal;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.identity.CredentialUnavailableException;
import com.microsoft.aad.msal4j.MsalServiceException;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsUnavailableException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * Turns what the SDK threw into the SPI's two kinds of failure: denied (the key or Keyhold's access
 * to it is gone: lock) or unavailable (Key Vault or Entra ID could not answer now: retry).
 * Messages name the operation, the key (version) and the service's error code and text, and the
 * credential Keyhold used (an application or managed identity id, never a secret).
 */
public final class AzureErrors {
    /** The roles either of which lets Keyhold wrap and unwrap (docs/kms/azure.md). */
    public static final String ROLE_HINT = "grant Keyhold's application the role 'Key Vault Crypto Service Encryption User'"
            + " (or 'Key Vault Crypto User') on the key";

    private AzureErrors() {
    }

    public static RuntimeException map(String op, String key, RuntimeException e, String credential) {
        String what = "Azure Key Vault " + op + " of " + key + ": ";
        if (e instanceof CredentialUnavailableException) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, what + "no Azure credential could be used ("
                    + credential + "): " + e.getMessage(), e);
        }
        if (e instanceof HttpResponseException && ((HttpResponseException) e).getResponse() != null) {
            return vault(op, what, VaultError.of((HttpResponseException) e), e, credential);
        }
        return token(what, e, credential);
    }

    private static RuntimeException vault(String op, String what, VaultError err, RuntimeException e, String credential) {
        String text = what + err.describe();
        String lower = (err.inner() + " " + err.text()).toLowerCase(Locale.ROOT);
        switch (err.status()) {
            case 401:
                return new KmsDeniedException(Reason.ACCESS_DENIED, text + " (the vault refused the token of " + credential
                        + "; is the vault in a tenant the credential may sign in to?)", e);
            case 403:
                if (lower.contains("keydisabled") || lower.contains("disabled")) {
                    return new KmsDeniedException(Reason.DISABLED, text, e);
                }
                if (lower.contains("expired") || lower.contains("notyetvalid") || lower.contains("not yet valid")) {
                    return new KmsDeniedException(Reason.DISABLED, text + " (the key version is outside its activation and"
                            + " expiration dates: set a later expiration date or rotate the key)", e);
                }
                if (lower.contains("keyoperationforbidden") || lower.contains("not permitted")) {
                    return new KmsDeniedException(Reason.INVALID_KEY, text + " (the key's permitted operations must include"
                            + " wrapKey and unwrapKey)", e);
                }
                return new KmsDeniedException(Reason.ACCESS_DENIED, text + " (" + ROLE_HINT + ", for " + credential + ")", e);
            case 404:
                return new KmsDeniedException(Reason.NOT_FOUND, text, e);
            case 400:
                return new KmsDeniedException(op.equals("unwrapKey") ? Reason.INVALID_CIPHERTEXT : Reason.INVALID_KEY, text, e);
            case 408:
                return new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT, text, e);
            case 429:
                return new KmsUnavailableException(KmsUnavailableException.Reason.THROTTLED, text, e);
            case 409: // a conflicting change under way (e.g. a deleted key being recovered)
                return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, text, e);
            default:
                if (err.status() >= 500) {
                    return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, text, e);
                }
                return new KmsDeniedException(Reason.INVALID_KEY, text, e);
        }
    }

    /**
     * No answer from Key Vault: Entra ID did not give a token (azure-identity wraps MSAL's failures in
     * whatever it likes), or the transport failed. A refusal of the credential is denied; a token
     * endpoint or vault that does not answer is not.
     */
    private static RuntimeException token(String what, RuntimeException e, String credential) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.contains("not configured to acquire tokens for tenant")) {
                return new KmsDeniedException(Reason.ACCESS_DENIED, what + "the key's vault is in a tenant that " + credential
                        + " may not sign in to: add that tenant to AZURE_ADDITIONALLY_ALLOWED_TENANTS (" + firstLine(m) + ")", e);
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof MsalServiceException) {
                MsalServiceException msal = (MsalServiceException) c;
                Integer status = msal.statusCode();
                String detail = what + "Entra ID refused to give " + credential + " a token: " + msal.errorCode() + ": "
                        + firstLine(msal.getMessage());
                if (status != null && (status >= 500 || status == 429 || status == 408)) {
                    return new KmsUnavailableException(status == 429 ? KmsUnavailableException.Reason.THROTTLED
                            : KmsUnavailableException.Reason.INTERNAL, detail, e);
                }
                return new KmsDeniedException(Reason.ACCESS_DENIED, detail, e);
            }
        }
        RuntimeException t = transport(what, e);
        if (e instanceof ClientAuthenticationException && t instanceof KmsUnavailableException
                && ((KmsUnavailableException) t).reason() == KmsUnavailableException.Reason.INTERNAL) {
            // not the network, not Entra's answer: the credential itself is unusable (e.g. a certificate file that does not load)
            return new KmsDeniedException(Reason.ACCESS_DENIED, what + "no token for " + credential + ": " + e.getMessage(), e);
        }
        return t;
    }

    private static RuntimeException transport(String what, RuntimeException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof HttpTimeoutException || c instanceof InterruptedIOException || c instanceof TimeoutException) {
                return new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT, what + "timed out: " + c.getMessage(), e);
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof UncheckedIOException) {
                return new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, what + c, e);
            }
        }
        return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, what + e, e);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
