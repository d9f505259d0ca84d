package io.keyhold.secrets.internal;

import io.keyhold.secrets.internal.SecretCrypto.DecryptionFailure;

/**
 * Gets at the data key of a secrets file: through the master key in the environment variable the
 * file names (Confluent's scheme), or through a KMS key when the file says one wraps it.
 */
final class DataKeys {
    static final String UNWRAP_FAILED = "failed to unwrap the data key: invalid master key or corrupted data key";

    private final Environment environment;

    DataKeys(Environment environment) {
        this.environment = environment;
    }

    /** Unwraps the data key; the caller wipes it. */
    byte[] unwrap(SecretsFile secrets) {
        String wrapped = secrets.wrappedDataKey();
        if (wrapped == null) {
            throw new SecretsException("the secrets file has no data key yet",
                    "Encrypt a value first with `keyhold secret file encrypt` or `keyhold secret file add`.");
        }
        if (secrets.kmsKey() != null) {
            return KmsDataKeys.unwrap(secrets.kmsKey(), wrapped);
        }
        byte[] masterKey = masterKey(secrets);
        try {
            return SecretCrypto.unwrapDataKey(CipherText.parse(wrapped), masterKey);
        } catch (DecryptionFailure e) {
            throw new SecretsException(UNWRAP_FAILED, "Set " + secrets.envVar()
                    + " to the master key that was printed when this secrets file was created or last rotated.");
        } catch (SecretsException e) {
            throw new SecretsException("failed to unwrap the data key: " + e.getMessage(), e.suggestion());
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
                throw new SecretsException("authentication failure: incorrect master key passphrase",
                        "Give the passphrase of the master key that is set in " + secrets.envVar() + ".");
            }
        } finally {
            SecretCrypto.wipe(masterKey);
            SecretCrypto.wipe(derived);
        }
        return unwrap(secrets);
    }

    /** Wraps a new data key the way the file's current one is wrapped. */
    String wrapLike(SecretsFile secrets, byte[] dataKey) {
        if (secrets.kmsKey() != null) {
            return KmsDataKeys.wrap(secrets.kmsKey(), dataKey);
        }
        byte[] masterKey = masterKey(secrets);
        try {
            return SecretCrypto.wrapDataKey(dataKey, masterKey).format();
        } finally {
            SecretCrypto.wipe(masterKey);
        }
    }

    void requirePassphraseFile(SecretsFile secrets, String operation) {
        if (secrets.kmsKey() != null) {
            throw new SecretsException("the data key of this secrets file is wrapped by the KMS key \"" + secrets.kmsKey()
                    + "\", not by a passphrase, so " + operation + " does not apply",
                    "Rotate the key in the KMS, or use `keyhold secret file rotate --data-key` for a new data key.");
        }
    }

    private byte[] masterKey(SecretsFile secrets) {
        String name = secrets.envVar();
        String value = environment.apply(name);
        if (value == null || value.isBlank()) {
            throw new SecretsException("master key is not exported in the " + name + " environment variable",
                    "Set it to the master key printed by `keyhold secret master-key generate`: export " + name + "=<master key>");
        }
        return SecretCrypto.decodeMasterKey(value, "the " + name + " environment variable");
    }
}
