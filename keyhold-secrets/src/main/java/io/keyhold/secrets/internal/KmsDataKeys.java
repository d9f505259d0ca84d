package io.keyhold.secrets.internal;

/** Wraps and unwraps data keys with a KMS key. */
final class KmsDataKeys {
    private KmsDataKeys() {
    }

    static byte[] unwrap(String kmsKey, String wrapped) {
        throw new SecretsException("KMS-wrapped secrets files are not supported yet (KMS key \"" + kmsKey + "\")",
                "Use a passphrase-protected secrets file.");
    }

    static String wrap(String kmsKey, byte[] dataKey) {
        throw new SecretsException("KMS-wrapped secrets files are not supported yet (KMS key \"" + kmsKey + "\")",
                "Use a passphrase-protected secrets file.");
    }
}
