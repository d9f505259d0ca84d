package io.keyhold.secrets.internal;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The secrets file: metadata lines about the wrapped data key, then one encrypted value per
 * secret. Layout and key names are Confluent's, so either tool reads what the other wrote. Names
 * keep the {@code \.} of JSON paths ({@link KeySyntax#ESCAPED_DOTS_KEPT}): a secret's name is
 * the text its reference gives, and rewriting the file leaves every name it does not change as
 * it was written.
 */
public final class SecretsFile {
    public static final String METADATA_PREFIX = "_metadata";
    public static final String MASTER_KEY_SALT = "_metadata.master_key.0.salt";
    public static final String CREATED_AT = "_metadata.symmetric_key.0.created_at";
    public static final String ENV_VAR = "_metadata.symmetric_key.0.envvar";
    public static final String LENGTH = "_metadata.symmetric_key.0.length";
    public static final String ITERATIONS = "_metadata.symmetric_key.0.iterations";
    public static final String DATA_KEY_SALT = "_metadata.symmetric_key.0.salt";
    public static final String DATA_KEY = "_metadata.symmetric_key.0.enc";
    /** Keyhold's own addition: the KMS key that wraps the data key, when no passphrase does. */
    public static final String KMS_KEY = "_metadata.symmetric_key.0.kms_key";
    /** The KMS key version that wrapped the data key (KMS-protected files only). */
    public static final String KMS_KEY_VERSION = "_metadata.symmetric_key.0.kms_key_version";
    /** Non-secret settings for opening the KMS, e.g. {@code _metadata.kms.config.data-dir}. */
    public static final String KMS_CONFIG_PREFIX = "_metadata.kms.config.";

    public static final String DEFAULT_ENV_VAR = "CONFLUENT_SECURITY_MASTER_KEY";

    private static final DateTimeFormatter CREATED_AT_FORMAT =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSSSS Z 'UTC'");

    private final PropertiesDocument document;

    private SecretsFile(PropertiesDocument document) {
        this.document = document;
    }

    public static SecretsFile parse(byte[] bytes) {
        return new SecretsFile(PropertiesDocument.parse(bytes, KeySyntax.ESCAPED_DOTS_KEPT));
    }

    public static SecretsFile empty() {
        return new SecretsFile(PropertiesDocument.empty(KeySyntax.ESCAPED_DOTS_KEPT));
    }

    public String masterKeySalt() {
        return document.get(MASTER_KEY_SALT);
    }

    public String envVar() {
        String name = document.get(ENV_VAR);
        return name == null || name.isBlank() ? DEFAULT_ENV_VAR : name.trim();
    }

    public int iterations() {
        String text = document.get(ITERATIONS);
        if (text == null || text.isBlank()) {
            return SecretCrypto.DEFAULT_ITERATIONS;
        }
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new SecretsException("invalid iteration count \"" + text + "\" in the secrets file",
                    "Check " + ITERATIONS + " in the secrets file.");
        }
    }

    /** The wrapped data key, or null when none has been generated yet. */
    public String wrappedDataKey() {
        String value = document.get(DATA_KEY);
        return value == null || value.isBlank() ? null : value;
    }

    /** The KMS key reference that wraps the data key, or null for a passphrase-protected file. */
    public String kmsKey() {
        String value = document.get(KMS_KEY);
        return value == null || value.isBlank() ? null : value.trim();
    }

    public String kmsKeyVersion() {
        return document.get(KMS_KEY_VERSION);
    }

    /** The KMS settings recorded in the file, by setting name. */
    public Map<String, String> kmsSettings() {
        Map<String, String> result = new LinkedHashMap<>();
        document.entries().forEach((key, value) -> {
            if (key.startsWith(KMS_CONFIG_PREFIX)) {
                result.put(key.substring(KMS_CONFIG_PREFIX.length()), value);
            }
        });
        return result;
    }

    /** Records a data key wrapped by a KMS key, with what is needed to unwrap it again. */
    public void writeKmsMetadata(String kmsKey, String keyVersion, String wrappedDataKey, Map<String, String> settings) {
        touchCreatedAt();
        document.set(LENGTH, Integer.toString(SecretCrypto.KEY_LENGTH_BYTES));
        document.set(KMS_KEY, kmsKey);
        document.set(KMS_KEY_VERSION, keyVersion);
        settings.forEach((name, value) -> document.set(KMS_CONFIG_PREFIX + name, value));
        document.set(DATA_KEY, wrappedDataKey);
    }

    /** Every encrypted value (not metadata), by its key, in file order. */
    public Map<String, String> secrets() {
        Map<String, String> result = new LinkedHashMap<>();
        document.entries().forEach((key, value) -> {
            if (!key.startsWith(METADATA_PREFIX) && CipherText.isCipherText(value)) {
                result.put(key, value);
            }
        });
        return result;
    }

    public String get(String key) {
        return document.get(key);
    }

    /**
     * The name under which this file holds the secret a reference names, or null: the name
     * itself, else, for a name with escaped dots, the same name with {@code \.} read as
     * {@code .}. Files rewritten by tools that drop the escapes (Confluent's CLI when it rotates,
     * earlier Keyhold builds) hold such names; the second form is only a fallback because it is
     * also the name of another JSON path.
     */
    public String storedName(String name) {
        if (document.contains(name)) {
            return name;
        }
        String unescaped = unescapedDots(name);
        return !unescaped.equals(name) && document.contains(unescaped) ? unescaped : null;
    }

    /** The name with every {@code \.} read as {@code .}: how escape-dropping tools rewrote it. */
    public static String unescapedDots(String name) {
        return name.replace("\\.", ".");
    }

    public void set(String key, String value) {
        document.set(key, value);
    }

    public boolean remove(String key) {
        return document.remove(key);
    }

    public void touchCreatedAt() {
        document.set(CREATED_AT, ZonedDateTime.now(ZoneOffset.UTC).format(CREATED_AT_FORMAT));
    }

    /**
     * Writes the data-key metadata in Confluent's order, after the master key salt line if the
     * file has one (lines that exist already are updated in place).
     */
    public void writeDataKeyMetadata(String envVar, int iterations, String wrappedDataKey) {
        touchCreatedAt();
        document.set(ENV_VAR, envVar);
        document.set(LENGTH, Integer.toString(SecretCrypto.KEY_LENGTH_BYTES));
        document.set(ITERATIONS, Integer.toString(iterations));
        document.set(DATA_KEY_SALT, SecretCrypto.newSaltText());
        document.set(DATA_KEY, wrappedDataKey);
    }

    public byte[] toBytes() {
        return document.toBytes();
    }
}
