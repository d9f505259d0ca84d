package io.keyhold.secrets.internal;

import io.keyhold.common.AtomicFiles;
import io.keyhold.secrets.internal.SecretCrypto.DecryptionFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the {@code secret} commands do. Every operation reads its files, computes all new content
 * in memory, and only then replaces the files atomically, so bad input never changes a byte.
 */
public final class SecretsService {
    public static final String PROVIDER_CLASS = "io.keyhold.secrets.SecurePassConfigProvider";
    private static final Pattern PASSWORD_KEY = Pattern.compile("(?i).password");

    private final DataKeys dataKeys;

    public SecretsService(Environment environment) {
        this(environment, Map.of());
    }

    /** @param kmsOverrides KMS settings that win over those recorded in KMS-protected secrets files */
    public SecretsService(Environment environment, Map<String, String> kmsOverrides) {
        this.dataKeys = new DataKeys(environment, kmsOverrides);
    }

    /** Creates the master key salt in the secrets file and returns the master key (base64). */
    public String generateMasterKey(Path secretsPath, String passphrase) {
        String phrase = Passphrases.normalize(passphrase);
        SecretsFile secrets = Files.exists(secretsPath) ? SecretsFile.parse(read(secretsPath, "secrets")) : SecretsFile.empty();
        if (secrets.wrappedDataKey() != null) {
            throw new SecretsException(SecretsException.Kind.CONFLICT, "master key is already generated",
                    "You can rotate the key with `keyhold secret file rotate`.");
        }
        String salt = SecretCrypto.newSaltText();
        byte[] masterKey = SecretCrypto.deriveMasterKey(phrase, salt, SecretCrypto.DEFAULT_ITERATIONS);
        try {
            secrets.set(SecretsFile.MASTER_KEY_SALT, salt);
            secrets.touchCreatedAt();
            SecretFiles.write(new AtomicFiles.Write(secretsPath, secrets.toBytes(), true));
            return SecretCrypto.b64(masterKey);
        } finally {
            SecretCrypto.wipe(masterKey);
        }
    }

    /**
     * Creates a secrets file whose data key is wrapped by a KMS key: no passphrase and no master
     * key in the environment; whoever may use the KMS key may read the secrets.
     */
    public void generateKmsWrapped(Path secretsPath, String kmsKey, Map<String, String> kmsSettings) {
        if (kmsKey == null || kmsKey.isBlank()) {
            throw new SecretsException(SecretsException.Kind.USAGE, "--kms-key cannot be empty", "Name the KMS key, e.g. --kms-key local:kafka-secrets.");
        }
        KmsSettings.checkNotSecret(kmsSettings);
        SecretsFile secrets = Files.exists(secretsPath) ? SecretsFile.parse(read(secretsPath, "secrets")) : SecretsFile.empty();
        if (secrets.wrappedDataKey() != null) {
            throw new SecretsException(SecretsException.Kind.CONFLICT, "master key is already generated",
                    "You can rotate the key with `keyhold secret file rotate`.");
        }
        KmsDataKeys.Generated generated = dataKeys.generateWithKms(kmsKey.trim(), kmsSettings);
        try {
            secrets.writeKmsMetadata(kmsKey.trim(), generated.keyVersion(), generated.wrapped(), kmsSettings);
        } finally {
            SecretCrypto.wipe(generated.key());
        }
        SecretFiles.write(new AtomicFiles.Write(secretsPath, secrets.toBytes(), true));
    }

    /** Encrypts the named keys, or every key matching "password" when none is named. */
    public void encrypt(Path configPath, Path secretsPath, String remoteSecretsPath, List<String> keys) {
        ConfigFile config = ConfigFile.parse(configPath, readConfig(configPath));
        Map<String, String> all = config.entries();
        Map<String, String> selected = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            all.forEach((k, v) -> {
                if (PASSWORD_KEY.matcher(k).find()) {
                    selected.put(k, v);
                }
            });
        } else {
            selected.putAll(named(config, configPath, keys));
        }
        selected.values().removeIf(Placeholders::isPlaceholder);
        encryptInto(config, configPath, secretsPath, remoteSecretsPath, selected);
    }

    /** Adds new keys, encrypted, to the config file ({@code "k1=v1\nk2=v2"}, literal \n allowed). */
    public void add(Path configPath, Path secretsPath, String remoteSecretsPath, String newConfigs) {
        ConfigFile config = ConfigFile.parse(configPath, readConfig(configPath));
        Map<String, String> values = parseNewConfigs(newConfigs, "add", config.keySyntax());
        encryptInto(config, configPath, secretsPath, remoteSecretsPath, values);
    }

    /** Replaces the values of keys that the config file already has. */
    public void update(Path configPath, Path secretsPath, String remoteSecretsPath, String newConfigs) {
        ConfigFile config = ConfigFile.parse(configPath, readConfig(configPath));
        Map<String, String> values = parseNewConfigs(newConfigs, "update", config.keySyntax());
        for (String key : values.keySet()) {
            if (config.get(key) == null) {
                throw keyNotInConfig(key, configPath);
            }
        }
        encryptInto(config, configPath, secretsPath, remoteSecretsPath, values);
    }

    private void encryptInto(ConfigFile config, Path configPath, Path secretsPath, String remoteSecretsPath,
                             Map<String, String> values) {
        SecretsFile secrets = Files.exists(secretsPath) ? SecretsFile.parse(read(secretsPath, "secrets")) : SecretsFile.empty();
        byte[] dataKey = secrets.wrappedDataKey() == null ? dataKeys.createFor(secrets) : dataKeys.unwrap(secrets);
        try {
            for (Map.Entry<String, String> e : values.entrySet()) {
                String secretKey = Placeholders.secretKey(configPath, e.getKey());
                String stored = storedNameOf(secrets, config, configPath, e.getKey());
                secrets.set(stored == null ? secretKey : stored, SecretCrypto.encryptText(e.getValue(), dataKey).format());
                config.set(e.getKey(), Placeholders.reference(remoteSecretsPath, secretKey));
            }
        } finally {
            SecretCrypto.wipe(dataKey);
        }
        config.registerProvider(PROVIDER_CLASS);
        SecretFiles.write(new AtomicFiles.Write(secretsPath, secrets.toBytes(), true),
                new AtomicFiles.Write(configPath, config.toBytes(), false));
    }

    /** Writes the decrypted values of the config file's references (the named ones, or all) to the output file. */
    public void decrypt(Path configPath, Path secretsPath, Path outputPath, List<String> keys) {
        ConfigFile config = ConfigFile.parse(configPath, readConfig(configPath));
        SecretsFile secrets = SecretsFile.parse(read(secretsPath, "secrets"));
        Map<String, String> selected = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            selected.putAll(config.entries());
        } else {
            selected.putAll(named(config, configPath, keys));
        }
        // Only our own references: ${file:...} and other providers' values are not ours to decrypt.
        selected.values().removeIf(v -> !Placeholders.isSecurePassReference(v));
        PropertiesDocument output = PropertiesDocument.empty();
        byte[] dataKey = dataKeys.unwrap(secrets);
        try {
            for (String key : selected.keySet()) {
                String cipher = lookUp(secrets, Placeholders.secretKey(configPath, key));
                if (cipher == null) {
                    throw new SecretsException(SecretsException.Kind.NOT_FOUND, "missing config key \"" + key + "\" in secret config file",
                            "Encrypt it again with `keyhold secret file update`, or check that the secrets file matches the config file.");
                }
                output.set(key, decryptValue(key, cipher, dataKey));
            }
        } finally {
            SecretCrypto.wipe(dataKey);
        }
        SecretFiles.write(new AtomicFiles.Write(outputPath, output.toBytes(), true));
    }

    /** Removes keys from both files. */
    public void remove(Path configPath, Path secretsPath, List<String> keys) {
        if (keys.isEmpty()) {
            throw new SecretsException(SecretsException.Kind.USAGE, "remove failed: empty list of configs", "Name the keys with --config k1,k2.");
        }
        ConfigFile config = ConfigFile.parse(configPath, readConfig(configPath));
        SecretsFile secrets = SecretsFile.parse(read(secretsPath, "secrets"));
        for (String key : keys) {
            String stored = storedNameOf(secrets, config, configPath, key);
            if (stored == null || !secrets.remove(stored)) {
                throw new SecretsException(SecretsException.Kind.NOT_FOUND, "config key \"" + key + "\" is not encrypted in the secrets file \"" + secretsPath + "\"",
                        "Check the key names with `keyhold secret file decrypt`.");
            }
            if (!config.remove(key)) {
                throw keyNotInConfig(key, configPath);
            }
        }
        SecretFiles.write(new AtomicFiles.Write(secretsPath, secrets.toBytes(), true),
                new AtomicFiles.Write(configPath, config.toBytes(), false));
    }

    /** Re-wraps the data key under a master key derived from a new passphrase; returns the new master key. */
    public String rotateMasterKey(Path secretsPath, String oldPassphrase, String newPassphrase) {
        String oldPhrase = Passphrases.normalize(oldPassphrase);
        String newPhrase = Passphrases.normalize(newPassphrase);
        if (oldPhrase.equals(newPhrase)) {
            throw new SecretsException(SecretsException.Kind.USAGE, "the new master key passphrase is the same as the current one",
                    "Choose a different passphrase for --passphrase-new.");
        }
        SecretsFile secrets = SecretsFile.parse(read(secretsPath, "secrets"));
        dataKeys.requirePassphraseFile(secrets, "file rotate --master-key");
        byte[] dataKey = dataKeys.unwrapWithPassphrase(secrets, oldPhrase);
        String salt = SecretCrypto.newSaltText();
        byte[] newMasterKey = SecretCrypto.deriveMasterKey(newPhrase, salt, secrets.iterations());
        try {
            secrets.touchCreatedAt();
            secrets.set(SecretsFile.DATA_KEY, SecretCrypto.wrapDataKey(dataKey, newMasterKey).format());
            secrets.set(SecretsFile.MASTER_KEY_SALT, salt);
            SecretFiles.write(new AtomicFiles.Write(secretsPath, secrets.toBytes(), true));
            return SecretCrypto.b64(newMasterKey);
        } finally {
            SecretCrypto.wipe(dataKey);
            SecretCrypto.wipe(newMasterKey);
        }
    }

    /** Re-encrypts every value (as AES-GCM) under a new data key. */
    public void rotateDataKey(Path secretsPath, String passphrase) {
        SecretsFile secrets = SecretsFile.parse(read(secretsPath, "secrets"));
        if (secrets.kmsKey() == null && passphrase == null) {
            throw new SecretsException(SecretsException.Kind.USAGE, "missing --passphrase",
                    "Rotating the data key of a passphrase-protected file needs the current passphrase: --passphrase <passphrase>, @<file> or -.");
        }
        byte[] oldKey = secrets.kmsKey() != null ? dataKeys.unwrap(secrets)
                : dataKeys.unwrapWithPassphrase(secrets, Passphrases.normalize(passphrase));
        KmsDataKeys.Generated fresh;
        try {
            fresh = dataKeys.newDataKeyLike(secrets);
        } catch (RuntimeException e) {
            SecretCrypto.wipe(oldKey);
            throw e;
        }
        byte[] newKey = fresh.key();
        try {
            for (Map.Entry<String, String> e : secrets.secrets().entrySet()) {
                String plain = decryptValue(e.getKey(), e.getValue(), oldKey);
                secrets.set(e.getKey(), SecretCrypto.encryptText(plain, newKey).format());
            }
            secrets.touchCreatedAt();
            secrets.set(SecretsFile.DATA_KEY, fresh.wrapped());
            if (secrets.kmsKey() != null) {
                secrets.set(SecretsFile.KMS_KEY_VERSION, fresh.keyVersion());
            } else {
                secrets.set(SecretsFile.DATA_KEY_SALT, SecretCrypto.newSaltText());
            }
            SecretFiles.write(new AtomicFiles.Write(secretsPath, secrets.toBytes(), true));
        } finally {
            SecretCrypto.wipe(oldKey);
            SecretCrypto.wipe(newKey);
        }
    }

    /** Decrypts every named secret of a secrets file: what the ConfigProvider serves. */
    public Map<String, String> readSecrets(Path secretsPath, List<String> secretKeys) {
        SecretsFile secrets = SecretsFile.parse(read(secretsPath, "secrets"));
        Map<String, String> result = new LinkedHashMap<>();
        List<String> wanted = secretKeys == null ? new ArrayList<>(secrets.secrets().keySet()) : secretKeys;
        byte[] dataKey = dataKeys.unwrap(secrets);
        try {
            for (String key : wanted) {
                String cipher = lookUp(secrets, key);
                if (cipher == null) {
                    throw new SecretsException(SecretsException.Kind.NOT_FOUND, "missing config key \"" + key + "\" in secrets file \"" + secretsPath + "\"",
                            "Encrypt the value with `keyhold secret file add` or fix the reference.");
                }
                result.put(key, decryptValue(key, cipher, dataKey));
            }
        } finally {
            SecretCrypto.wipe(dataKey);
        }
        return result;
    }

    private static String lookUp(SecretsFile secrets, String key) {
        String stored = secrets.storedName(key);
        String cipher = stored == null ? null : secrets.get(stored);
        return cipher != null && CipherText.isCipherText(cipher) ? cipher : null;
    }

    /**
     * The name under which the secrets file holds the value of a config key, or null when it has
     * none. A name whose escaped dots an earlier rewrite dropped counts only while the config file
     * has no key of that unescaped path: then it is that key's secret, not this one's.
     */
    private static String storedNameOf(SecretsFile secrets, ConfigFile config, Path configPath, String configKey) {
        String name = Placeholders.secretKey(configPath, configKey);
        String stored = secrets.storedName(name);
        if (stored == null || stored.equals(name)) {
            return stored;
        }
        return config.get(SecretsFile.unescapedDots(configKey)) == null ? stored : null;
    }

    private static String decryptValue(String key, String cipher, byte[] dataKey) {
        try {
            return SecretCrypto.decryptText(CipherText.parse(cipher), dataKey);
        } catch (DecryptionFailure e) {
            throw new SecretsException("failed to decrypt config \"" + key + "\": corrupted data",
                    "Check that the secrets file is the one this value was encrypted into; encrypt the value again with `keyhold secret file update`.");
        } catch (SecretsException e) {
            throw new SecretsException(e.kind(), "failed to decrypt config \"" + key + "\": " + e.getMessage(), e.suggestion());
        }
    }

    /** {@code "k1=v1\nk2=v2"}, keys named as the config file names them (a JSON path keeps its {@code \.}). */
    private static Map<String, String> parseNewConfigs(String newConfigs, String operation, KeySyntax syntax) {
        String text = newConfigs == null ? "" : newConfigs.replace("\\n", "\n");
        Map<String, String> values = PropertiesDocument.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), syntax).entries();
        if (values.isEmpty()) {
            throw new SecretsException(SecretsException.Kind.USAGE, operation + " failed: empty list of " + (operation.equals("add") ? "new" : "update") + " configs",
                    "Give the values as --config \"key1=value1\\nkey2=value2\".");
        }
        return values;
    }

    /** The named keys' values, in the order given; a key the config file does not have is an error. */
    private static Map<String, String> named(ConfigFile config, Path configPath, List<String> keys) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String key : keys) {
            String value = config.get(key);
            if (value == null) {
                throw keyNotInConfig(key, configPath);
            }
            values.put(key, value);
        }
        return values;
    }

    private static SecretsException keyNotInConfig(String key, Path configPath) {
        return new SecretsException(SecretsException.Kind.NOT_FOUND, "config key \"" + key + "\" is not in the config file \"" + configPath + "\"",
                "Check the key name; `keyhold secret file add` adds new keys.");
    }

    private static byte[] readConfig(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new SecretsException(SecretsException.Kind.NOT_FOUND, "invalid config file path \"" + path + "\"",
                    "Check the path given to --config-file.");
        }
        return read(path, "config");
    }

    static byte[] read(Path path, String what) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new SecretsException(SecretsException.Kind.NOT_FOUND, "invalid " + what + " file path \"" + path + "\"",
                    "Check the path; `keyhold secret master-key generate` creates a secrets file.");
        } catch (IOException e) {
            throw new SecretsException("could not read the " + what + " file \"" + path + "\": " + e.getMessage(),
                    "Check that the file exists and is readable.", e);
        }
    }
}
