package io.keyhold.secrets.internal;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** The {@code ${securepass:<secrets file>:<config file name>/<key>}} references written into config files. */
public final class Placeholders {
    // A value that already is a reference of any provider is left alone, as Confluent's CLI does.
    private static final Pattern PLACEHOLDER = Pattern.compile("^\\$\\{(.*?):((.*?):)?(.*?)\\}$");

    private Placeholders() {
    }

    public static boolean isPlaceholder(String value) {
        return value != null && PLACEHOLDER.matcher(value).matches();
    }

    public static boolean isSecurePassReference(String value) {
        return isPlaceholder(value) && value.startsWith("${securepass:");
    }

    /** The key of a config value in the secrets file: {@code basename(config file)/key}. */
    public static String secretKey(Path configFile, String configKey) {
        // Always '/', whatever the platform: the file is read by brokers that may run elsewhere.
        return configFile.getFileName().toString() + "/" + configKey;
    }

    public static String reference(String remoteSecretsFile, String secretKey) {
        return "${securepass:" + remoteSecretsFile + ":" + secretKey + "}";
    }
}
