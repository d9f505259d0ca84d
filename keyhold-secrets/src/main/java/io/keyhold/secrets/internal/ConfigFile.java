package io.keyhold.secrets.internal;

import java.nio.file.Path;
import java.util.Map;

/** A config file whose values the secret commands read and replace: .properties or .json. */
public interface ConfigFile {
    String PROVIDERS_KEY = "config.providers";
    String PROVIDER_NAME = "securepass";
    String PROVIDER_CLASS_KEY = "config.providers.securepass.class";

    /** Every config key with its value, in file order; JAAS options appear as {@code key/LoginModule/option}. */
    Map<String, String> entries();

    /** The value of a key, or null when the file does not have it. */
    String get(String key);

    void set(String key, String value);

    /** Removes the key; returns whether it was there. */
    boolean remove(String key);

    /** How {@code --config key=value} pairs name this file's keys: a JSON path keeps its {@code \.}. */
    KeySyntax keySyntax();

    /** Adds {@code securepass} to {@code config.providers} and names the provider class. */
    void registerProvider(String providerClass);

    byte[] toBytes();

    /** Opens a config file by its extension, from bytes already read. */
    static ConfigFile parse(Path path, byte[] bytes) {
        String name = path.getFileName().toString();
        if (name.endsWith(".properties")) {
            return PropertiesConfigFile.parse(bytes);
        }
        if (name.endsWith(".json")) {
            return JsonConfigFile.parse(path, bytes);
        }
        throw new SecretsException(SecretsException.Kind.USAGE, "unsupported file format for \"" + path + "\"",
                "Config files must end in \".properties\" or \".json\".");
    }

    /** Appends {@code securepass} to a provider list unless it is already there. */
    static String withSecurePass(String providers) {
        if (providers == null || providers.isBlank()) {
            return PROVIDER_NAME;
        }
        for (String name : providers.split(",")) {
            if (name.trim().equals(PROVIDER_NAME)) {
                return providers;
            }
        }
        return providers + "," + PROVIDER_NAME;
    }
}
