package io.keyhold.kms.vault.internal;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsException;
import io.keyhold.kms.KmsUnavailableException;
import java.util.Locale;

/**
 * What Vault's HTTP errors mean for Keyhold (docs/kms/vault.md has the table). 403s are judged by
 * the caller, which asks Vault what the token may still do (a policy that leaves the key readable
 * but unusable is Vault's "disabled"; one that takes it all is "access denied").
 */
public final class VaultErrors {
    private VaultErrors() {
    }

    /** A non-2xx answer other than 403 to {@code op} on {@code what}. */
    public static KmsException map(String op, String what, VaultHttp.Response r) {
        String errors = r.errors();
        String lower = errors.toLowerCase(Locale.ROOT);
        String message = "Vault " + op + " on " + what + ": HTTP " + r.status() + (errors.isEmpty() ? "" : " (" + errors + ")");
        if (r.status() == 404 || lower.contains("key not found") || lower.contains("encryption key not found")) {
            return new KmsDeniedException(Reason.NOT_FOUND, message);
        }
        if (r.status() == 400) {
            if (lower.contains("disallowed by policy")) {
                return new KmsDeniedException(Reason.DISABLED, message + ": the key's min_decryption_version no longer allows this version");
            }
            if (lower.contains("message authentication failed") || lower.contains("invalid ciphertext") || lower.contains("invalid base64")
                    || lower.contains("invalid ciphertext version") || lower.contains("cipher:")) {
                return new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "the wrapped DEK is damaged, of another key, or bound to another"
                        + " encryption context (" + message + ")");
            }
            return new KmsDeniedException(Reason.INVALID_KEY, message);
        }
        return unavailable(op + " on " + what, r);
    }

    /** A 5xx, 429 or other answer that says nothing about the key. */
    public static KmsUnavailableException unavailable(String what, VaultHttp.Response r) {
        KmsUnavailableException.Reason reason = r.status() == 429 ? KmsUnavailableException.Reason.THROTTLED : KmsUnavailableException.Reason.INTERNAL;
        String errors = r.errors();
        return new KmsUnavailableException(reason, "Vault " + what + ": HTTP " + r.status() + (errors.isEmpty() ? "" : " (" + errors + ")")
                + (r.status() == 503 ? ", Vault is sealed, in standby or down" : ""));
    }
}
