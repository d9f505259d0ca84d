package io.keyhold.secrets.internal;

import io.keyhold.secrets.internal.SecretCrypto.DecryptionFailure;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gets at the data key of a secrets file: through the master key in the environment variable the
 * file names (Confluent's scheme), or through a KMS key when the file says one wraps it.
 */
final class DataKeys {
    static final String UNWRAP_FAILED = "failed to unwrap the data key: invalid master key or corrupted data key";

    private final Environment environment;
    private final Map<String, String> kmsOverrides;

    /**
     * @param kmsOverrides KMS settings that take precedence over those recorded in secrets files
     *                     (e.g. a data directory that sits elsewhere on the broker host)
     */
    DataKeys(Environment environment, Map<String, String> kmsOverrides) {
        this.environment = environment;
        this.kmsOverrides = Map.copyOf(kmsOverrides);
    }

    /** Unwraps the data key; the caller wipes it. */
    byte[] unwrap(SecretsFile secrets) {
        String wrapped = secrets.wrappedDataKey();
        if (wrapped == null) {
            throw new SecretsException("the secrets file has no data key yet",
                    "Encrypt a value first with `keyhold secret file encrypt` or `keyhold secret file add`.");
        }
        if (secrets.kmsKey() != null) {
            return KmsDataKeys.unwrap(secrets.kmsKey(), secrets.kmsKeyVersion(), wrapped, kmsSettings(secrets));
        }
        byte[] masterKey = masterKey(secrets);
        try {
            return SecretCrypto.unwrapDataKey(CipherText.parse(wrapped), masterKey);
        } catch (DecryptionFailure e) {
            throw new SecretsException(SecretsException.Kind.ACCESS, UNWRAP_FAILED, "Set " + secrets.envVar()
                    + " to the master key that was printed when this secrets file was created or last rotated.");
        } catch (SecretsException e) {
            throw new SecretsException(e.kind(), "failed to unwrap the data key: " + e.getMessage(), e.suggestion());
        } finally {
            SecretCrypto.wipe(masterKey);
        }
    }

    /** Creates a data key for a file that has none, wrapped by the master key in the environment. */
    byte[] createFor(SecretsFile secrets) {
        byte[] masterKey = masterKey(secrets);
        byte[] dataKey = SecretCrypto.newDataKey();
        try {
            String wrapped = SecretCrypto.wrapDataKey(dataKey, masterKey).format();
            secrets.writeDataKeyMetadata(secrets.envVar(), secrets.iterations(), wrapped);
            return dataKey;
        } finally {
            SecretCrypto.wipe(masterKey);
        }
    }

    /**
     * Checks the passphrase against the master key in the environment (as Confluent's CLI does
     * before a rotation), then unwraps the data key.
     */
    byte[] unwrapWithPassphrase(SecretsFile secrets, String passphrase) {
        requirePassphraseFile(secrets, "this rotation");
        String salt = secrets.masterKeySalt();
        if (salt == null || salt.isBlank()) {
            throw new SecretsException("the secrets file has no master key salt (" + SecretsFile.MASTER_KEY_SALT + ")",
                    "Create the secrets file with `keyhold secret master-key generate`.");
        }
        byte[] masterKey = masterKey(secrets);
        byte[] derived = SecretCrypto.deriveMasterKey(passphrase, salt, secrets.iterations());
        try {
            if (!SecretCrypto.sameKey(masterKey, derived)) {
                throw new SecretsException(SecretsException.Kind.ACCESS, "authentication failure: incorrect master key passphrase",
                        "Give the passphrase of the master key that is set in " + secrets.envVar() + ".");
            }
        } finally {
            SecretCrypto.wipe(masterKey);
            SecretCrypto.wipe(derived);
        }
        return unwrap(secrets);
    }

    /** A new data key, wrapped the way the file's current one is; the caller wipes the key. */
    KmsDataKeys.Generated newDataKeyLike(SecretsFile secrets) {
        if (secrets.kmsKey() != null) {
            return KmsDataKeys.generate(secrets.kmsKey(), kmsSettings(secrets));
        }
        byte[] masterKey = masterKey(secrets);
        byte[] dataKey = SecretCrypto.newDataKey();
        try {
            return new KmsDataKeys.Generated(dataKey, SecretCrypto.wrapDataKey(dataKey, masterKey).format(), null);
        } finally {
            SecretCrypto.wipe(masterKey);
        }
    }

    /** A data key from a KMS key, for a new KMS-protected file; the caller wipes the key. */
    KmsDataKeys.Generated generateWithKms(String kmsKey, Map<String, String> settings) {
        Map<String, String> merged = new LinkedHashMap<>(settings);
        merged.putAll(kmsOverrides);
        return KmsDataKeys.generate(kmsKey, merged);
    }

    private Map<String, String> kmsSettings(SecretsFile secrets) {
        Map<String, String> merged = new LinkedHashMap<>(secrets.kmsSettings());
        merged.putAll(kmsOverrides);
        return merged;
    }

    void requirePassphraseFile(SecretsFile secrets, String operation) {
        if (secrets.kmsKey() != null) {
            throw new SecretsException(SecretsException.Kind.USAGE, "the data key of this secrets file is wrapped by the KMS key \"" + secrets.kmsKey()
                    + "\", not by a passphrase, so " + operation + " does not apply",
                    "Rotate the key in the KMS, or use `keyhold secret file rotate --data-key` for a new data key.");
        }
    }

    private byte[] masterKey(SecretsFile secrets) {
        String name = secrets.envVar();
        String value = environment.apply(name);
        if (value == null || value.isBlank()) {
            throw new SecretsException(SecretsException.Kind.ACCESS, "master key is not exported in the " + name + " environment variable",
                    "Set it to the master key printed by `keyhold secret master-key generate`: export " + name + "=<master key>");
        }
        return SecretCrypto.decodeMasterKey(value, "the " + name + " environment variable");
    }
}
