package io.keyhold.secrets;

import io.keyhold.secrets.internal.Environment;
import io.keyhold.secrets.internal.SecretsException;
import io.keyhold.secrets.internal.SecretsService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigData;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.provider.ConfigProvider;

/**
 * Resolves {@code ${securepass:<secrets file>:<key>}} in Kafka broker and client configs from a
 * Confluent-compatible secrets file, with the master key from the environment variable the file
 * names (or through the KMS key that wraps the file's data key).
 *
 * <p>Put the keyhold-secrets jar (and, for KMS-protected files, the KMS provider's jars) on the
 * broker's or client's class path. Configs written by Confluent's CLI name Confluent's class;
 * change that one line to this class and they work unchanged.
 *
 * <pre>
 * config.providers = securepass
 * config.providers.securepass.class = io.keyhold.secrets.SecurePassConfigProvider
 * </pre>
 *
 * A value that cannot be decrypted is an error naming the key: Kafka then refuses to start
 * rather than run with a missing password.
 */
public final class SecurePassConfigProvider implements ConfigProvider {
    /** Provider parameters with this prefix override the KMS settings recorded in secrets files. */
    public static final String KMS_PARAM_PREFIX = "kms.";

    private final Environment environment;
    private volatile Map<String, String> kmsOverrides = Map.of();

    public SecurePassConfigProvider() {
        this(Environment.system());
    }

    SecurePassConfigProvider(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // The secrets file says where its key comes from; the only parameters are KMS settings
        // for files whose data key a KMS wraps: config.providers.securepass.param.kms.<name>=<value>.
        Map<String, String> overrides = new java.util.LinkedHashMap<>();
        configs.forEach((name, value) -> {
            if (name.startsWith(KMS_PARAM_PREFIX) && value != null) {
                overrides.put(name.substring(KMS_PARAM_PREFIX.length()), value.toString());
            }
        });
        kmsOverrides = Map.copyOf(overrides);
    }

    @Override
    public ConfigData get(String path) {
        return read(path, null);
    }

    @Override
    public ConfigData get(String path, Set<String> keys) {
        return read(path, new ArrayList<>(keys));
    }

    private ConfigData read(String path, List<String> keys) {
        if (path == null || path.isBlank()) {
            throw new ConfigException("securepass: a reference must name the secrets file: ${securepass:<secrets file>:<key>}");
        }
        try {
            return new ConfigData(new SecretsService(environment, kmsOverrides).readSecrets(Path.of(path), keys));
        } catch (SecretsException e) {
            // Name the keys being resolved: whoever reads the start-up failure must learn which
            // config values are affected, even when the cause (e.g. a wrong master key) is file-wide.
            String which = keys == null ? "the values" : keys.stream().sorted().map(k -> "\"" + k + "\"")
                    .collect(Collectors.joining(", "));
            String suggestion = e.suggestion() == null ? "" : " " + e.suggestion();
            throw new ConfigException("securepass: cannot resolve " + which + " from the secrets file \"" + path
                    + "\": " + e.getMessage() + "." + suggestion);
        }
    }

    @Override
    public void close() {
        // Holds no resources: every read opens, decrypts and forgets.
    }
}
