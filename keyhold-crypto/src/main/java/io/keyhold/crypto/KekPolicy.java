package io.keyhold.crypto;

import java.util.Objects;

/**
 * Which KEKs a decryptor may unwrap DEKs under. An envelope names its KEK in its header, so without
 * a policy a decryptor would open anything its KMS can unwrap, including data another tenant or
 * another cluster wrote under another key held in the same KMS. Every {@link DecryptionDekCache}
 * and every {@link StreamingEnvelope#decrypting} call therefore states its policy, and the KEK is
 * checked before the KMS is asked.
 *
 * <p>KEKs are compared the way the KMS SPI names them: provider kind and key id, exactly; the key
 * version does not matter, since a key's older versions keep unwrapping after it rotates.
 */
public final class KekPolicy {
    private static final KekPolicy ANY = new KekPolicy(null, null, null, null);
    /** Key ids come from the data being decrypted; longer ones are cut short in messages. */
    private static final int MAX_ID_IN_MESSAGE = 200;

    private final String provider;
    private final String keyId;
    private final String label;
    /** A provider any of whose keys are allowed too (the cluster's own cluster keys), or null. */
    private final String alsoProvider;

    private KekPolicy(String provider, String keyId, String label, String alsoProvider) {
        this.provider = provider;
        this.keyId = keyId;
        this.label = label;
        this.alsoProvider = alsoProvider;
    }

    /** Only KEK {@code keyId} of KMS kind {@code provider}, any version. */
    public static KekPolicy onlyKey(String provider, String keyId) {
        return onlyKey(provider, keyId, "the allowed key");
    }

    /**
     * Only KEK {@code keyId} of KMS kind {@code provider}, any version; {@code label} names that key
     * in error messages, e.g. "this cluster's key".
     */
    public static KekPolicy onlyKey(String provider, String keyId, String label) {
        new KekRef(provider, keyId, ""); // same validation as the header's fields
        return new KekPolicy(provider, keyId, Objects.requireNonNull(label, "label"), null);
    }

    /**
     * This policy, and also every key of kind {@code provider}: for a proxy, its cluster keys
     * ({@link ClusterKey#PROVIDER}), which are looked up in the cluster's own keyring, so a CK id of
     * another cluster finds nothing.
     */
    public KekPolicy andAnyKeyOf(String provider) {
        if (this == ANY) {
            return this;
        }
        return new KekPolicy(this.provider, keyId, label, Objects.requireNonNull(provider, "provider"));
    }

    /**
     * Every KEK the unwrapper can use. Only for tools and tests that must open whatever they are
     * given (format checks, benchmarks); never for a service that is bound to one key.
     */
    public static KekPolicy anyKey() {
        return ANY;
    }

    public boolean allows(KekRef kek) {
        return this == ANY || (provider.equals(kek.provider()) && keyId.equals(kek.keyId()))
                || (alsoProvider != null && alsoProvider.equals(kek.provider()));
    }

    /**
     * @throws ForeignKekException when {@code kek} is not allowed; its message names both keys (key
     *                             ids are not secret) and nothing else
     */
    public void check(KekRef kek) {
        if (!allows(kek)) {
            throw new ForeignKekException(kek, "encrypted under KEK " + describe(kek.keyId(), kek.provider())
                    + " version '" + printable(kek.keyVersion()) + "', not " + label + " " + describe(keyId, provider));
        }
    }

    private static String describe(String keyId, String provider) {
        return "'" + printable(keyId) + "' (" + printable(provider) + ")";
    }

    /** Key ids are read from the data: keep control characters and very long ids out of logs. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_ID_IN_MESSAGE) + 8);
        int i = 0;
        for (; i < s.length() && b.length() < MAX_ID_IN_MESSAGE; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\'') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (i < s.length()) {
            b.append("...");
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return this == ANY ? "KekPolicy[any key]" : "KekPolicy[only " + describe(keyId, provider) + ", any version]";
    }
}
