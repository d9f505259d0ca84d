package io.keyhold.secrets.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** KMS settings given as {@code name=value}; they are stored in clear in the secrets file. */
public final class KmsSettings {
    private static final List<String> SECRET_WORDS = List.of("password", "passphrase", "secret", "token", "credential");

    private KmsSettings() {
    }

    public static Map<String, String> parse(List<String> pairs) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new SecretsException(SecretsException.Kind.USAGE, "invalid --kms-config \"" + pair + "\"", "Write each setting as name=value, e.g. data-dir=/var/lib/keyhold.");
            }
            settings.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return settings;
    }

    /**
     * Refuses settings that would put a credential into the secrets file in clear; a path to a
     * file holding one ({@code ...-file}) is fine.
     */
    static void checkNotSecret(Map<String, String> settings) {
        for (String name : settings.keySet()) {
            String lower = name.toLowerCase(Locale.ROOT);
            boolean names = SECRET_WORDS.stream().anyMatch(lower::contains);
            if (names && !lower.endsWith("-file") && !lower.endsWith("-path")) {
                throw new SecretsException(SecretsException.Kind.USAGE, "the KMS setting \"" + name + "\" looks like a credential and would be stored in clear",
                        "Give the KMS its credentials through its own environment variables or a file setting (e.g. passphrase-file).");
            }
        }
    }
}
