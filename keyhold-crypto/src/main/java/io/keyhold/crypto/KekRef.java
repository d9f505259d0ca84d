package io.keyhold.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Names the key-encryption key (KEK) a DEK was wrapped under, as the KMS reports it.
 *
 * @param provider   the KMS provider kind, e.g. {@code local}, {@code aws}
 * @param keyId      the key's identifier within that KMS
 * @param keyVersion the key version that wrapped the DEK ("" when the KMS has no versions)
 */
public record KekRef(String provider, String keyId, String keyVersion) {
    public KekRef {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(keyVersion, "keyVersion");
        check("provider", provider, 1, 255);
        check("keyId", keyId, 1, 65535);
        check("keyVersion", keyVersion, 0, 255);
    }

    private static void check(String what, String value, int min, int max) {
        int n = value.getBytes(StandardCharsets.UTF_8).length;
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " must be " + min + ".." + max + " UTF-8 bytes, got " + n);
        }
    }
}
