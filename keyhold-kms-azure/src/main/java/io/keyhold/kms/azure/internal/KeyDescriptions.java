package io.keyhold.kms.azure.internal;

import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import java.time.Instant;
import java.time.OffsetDateTime;

/** A Key Vault key bundle as the SPI's {@link KeyInfo}. */
public final class KeyDescriptions {
    private KeyDescriptions() {
    }

    /**
     * {@code keyId} is the versionless key URL, {@code currentVersion} the version Azure's versionless
     * URL names now (the newest), {@code algorithm} the key type with its size ({@code RSA-HSM 3072}).
     * The state is that of the current version: enabled, and now within its activation and expiration
     * dates (outside them Key Vault refuses new wraps), else disabled. Key Vault does not tell its
     * region: {@link KeyInfo#UNKNOWN_REGION}.
     */
    public static KeyInfo info(KeyUrl ref, KeyVaultKey key, Instant now) {
        KeyProperties p = key.getProperties();
        String version = p.getVersion() == null ? KeyUrl.parse(key.getId()).version() : p.getVersion();
        return new KeyInfo(ref.versionless(), usable(p, now) ? KeyState.ENABLED : KeyState.DISABLED, algorithm(key), KeyInfo.UNKNOWN_REGION,
                version, true, instant(p.getCreatedOn()), null);
    }

    /** What describe says of a key whose current version Key Vault will not even show because it is disabled. */
    public static KeyInfo disabled(KeyUrl ref) {
        return new KeyInfo(ref.versionless(), KeyState.DISABLED, "unknown", KeyInfo.UNKNOWN_REGION, "", true, null, null);
    }

    static boolean usable(KeyProperties p, Instant now) {
        return Boolean.TRUE.equals(p.isEnabled()) && (p.getNotBefore() == null || !p.getNotBefore().toInstant().isAfter(now))
                && (p.getExpiresOn() == null || p.getExpiresOn().toInstant().isAfter(now));
    }

    static String algorithm(KeyVaultKey key) {
        KeyType type = key.getKeyType();
        String t = type == null ? "unknown" : type.toString();
        if ((KeyType.RSA.equals(type) || KeyType.RSA_HSM.equals(type)) && key.getKey() != null && key.getKey().getN() != null) {
            byte[] n = key.getKey().getN();
            int bits = n.length * 8 - (n.length > 0 && n[0] == 0 ? 8 : 0);
            return t + " " + bits;
        }
        return t;
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}
