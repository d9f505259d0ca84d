package io.keyhold.kms.azure;

import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Whether an Azure key can serve as a Keyhold KEK, each problem in words that name the fix: for the
 * server's key validator ({@link AzureKms#keyProblems}). A key passes when its current version is an
 * RSA key (RSA or RSA-HSM), enabled, within its activation and expiration dates, permits wrapKey and
 * unwrapKey, and cannot be purged (purge protection on the vault). That Keyhold's role lets it wrap
 * and unwrap is what {@code checkAccess} proves; the vault's region is not in what Key Vault answers.
 */
public final class AzureKeyChecks {
    /** Key Vault's recovery levels with purge protection: a deleted key stays recoverable for its whole retention. */
    private static final Set<String> PROTECTED = Set.of("Recoverable", "CustomizedRecoverable", "Recoverable+ProtectedSubscription",
            "CustomizedRecoverable+ProtectedSubscription");

    private AzureKeyChecks() {
    }

    /** What is wrong with the key's current version; empty when nothing. */
    public static List<String> problems(KeyVaultKey key, Instant now) {
        List<String> p = new ArrayList<>();
        KeyType type = key.getKeyType();
        if (!KeyType.RSA.equals(type) && !KeyType.RSA_HSM.equals(type)) {
            p.add("Keyhold needs an RSA key to wrap data keys; this key is " + typeName(type)
                    + " (create an RSA or RSA-HSM key, 2048 bits or more)");
        }
        KeyProperties props = key.getProperties();
        if (!Boolean.TRUE.equals(props.isEnabled())) {
            p.add(disabled());
        }
        if (props.getExpiresOn() != null && !props.getExpiresOn().toInstant().isAfter(now)) {
            p.add("the key expired on " + props.getExpiresOn().toInstant() + ": set a later expiration date or rotate the key");
        }
        if (props.getNotBefore() != null && props.getNotBefore().toInstant().isAfter(now)) {
            p.add("the key is not active before " + props.getNotBefore().toInstant() + ": clear or move its activation date");
        }
        List<KeyOperation> ops = key.getKeyOperations() == null ? List.of() : key.getKeyOperations();
        List<String> missing = new ArrayList<>();
        for (KeyOperation needed : List.of(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY)) {
            if (!ops.contains(needed)) {
                missing.add(needed.toString());
            }
        }
        if (!missing.isEmpty()) {
            p.add("the key's permitted operations do not include " + String.join(" and ", missing)
                    + ": allow them (az keyvault key set-attributes --ops wrapKey unwrapKey ...)");
        }
        String level = props.getRecoveryLevel() == null ? "" : props.getRecoveryLevel();
        if (!PROTECTED.contains(level)) {
            p.add("the key can be purged (recovery level " + (level.isEmpty() ? "unknown" : level)
                    + "): enable purge protection on the vault (az keyvault update --enable-purge-protection true),"
                    + " so that a deleted key can always be recovered");
        }
        return p;
    }

    /** The one problem of a key whose current version Key Vault refuses to show because it is disabled. */
    public static String disabled() {
        return "the key's current version is disabled: enable it (az keyvault key set-attributes --enabled true ...)";
    }

    private static String typeName(KeyType type) {
        if (type == null) {
            return "of no known type";
        }
        switch (type.toString()) {
            case "EC":
            case "EC-HSM":
                return "EC";
            case "oct":
            case "oct-HSM":
                return "symmetric (" + type + ")";
            default:
                return type.toString();
        }
    }
}
