package io.keyhold.kms.kmip.internal;

import java.util.List;

/**
 * What a KMIP server says about one managed object (Get Attributes).
 *
 * @param uid         its Unique Identifier
 * @param objectType  Object Type, 0 when not reported
 * @param state       State, 0 when not reported
 * @param algorithm   Cryptographic Algorithm, 0 when not reported
 * @param length      Cryptographic Length in bits, 0 when not reported
 * @param usageMask   Cryptographic Usage Mask, 0 when not reported
 * @param initialDate Initial Date (seconds since the epoch), 0 when not reported
 * @param names       its Name values
 */
public record KeyAttributes(String uid, int objectType, int state, int algorithm, int length, int usageMask, long initialDate,
                            List<String> names) {
    public KeyAttributes {
        names = List.copyOf(names);
    }

    public boolean active() {
        return state == KmipEnums.State.ACTIVE;
    }

    /** e.g. {@code AES-256}; what {@code KeyInfo.algorithm} shows. */
    public String algorithmName() {
        String a = algorithm == KmipEnums.CryptographicAlgorithm.AES ? "AES" : algorithm == 0 ? "unknown" : "algorithm " + algorithm;
        return length > 0 ? a + "-" + length : a;
    }
}
