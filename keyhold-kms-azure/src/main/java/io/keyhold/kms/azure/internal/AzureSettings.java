package io.keyhold.kms.azure.internal;

import io.keyhold.kms.KmsConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The Azure provider's settings, from {@link KmsConfig} (the server's {@code kms.azure.*}, env
 * {@code KEYHOLD_KMS_AZURE_*}, or a proxy's {@code kms} section):
 * <ul>
 *   <li>{@code endpoint}: an {@code https} base URL that every vault request goes to instead of
 *       the key's vault (a private endpoint reached by address, a forwarding proxy, a test fake);
 *       the path, token audience and challenge checks stay those of the key's vault</li>
 *   <li>{@code trust-store}: a PEM file of CA certificates trusted, besides the JDK's, for the
 *       provider's HTTPS connections (the vault or {@code endpoint}, and the token endpoint)</li>
 *   <li>{@code connect-timeout-ms} (2000), {@code response-timeout-ms} (3000): opening a connection;
 *       waiting for one answer</li>
 *   <li>{@code sdk-max-retries} (1): retries the SDK makes per call; {@code ResilientKms} retries on
 *       top, so keep it small</li>
 *   <li>{@code version-cache-ms} (30000, the server's default health interval): how long the key's
 *       current version is used for new DEKs before it is looked up again (0: every time)</li>
 *   <li>{@code threads} (16): KMS calls that may run at once</li>
 * </ul>
 * Credentials are never settings: azure-identity's own environment variables choose them
 * ({@link AzureCredentials}).
 */
public record AzureSettings(Optional<URI> endpoint, Optional<Path> trustStore, Duration connectTimeout, Duration responseTimeout,
                            int sdkMaxRetries, Duration versionCache, int threads) {

    public static AzureSettings from(KmsConfig config) {
        Optional<URI> endpoint = config.get("endpoint").map(String::trim).filter(s -> !s.isEmpty()).map(AzureSettings::endpoint);
        Optional<Path> trustStore = config.get("trust-store").map(String::trim).filter(s -> !s.isEmpty()).map(Path::of);
        trustStore.ifPresent(p -> {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("KMS setting 'trust-store' names no readable file: " + p);
            }
        });
        return new AzureSettings(endpoint, trustStore, millis(config, "connect-timeout-ms", 2000, 1),
                millis(config, "response-timeout-ms", 3000, 1), integer(config, "sdk-max-retries", 1, 0, 10),
                millis(config, "version-cache-ms", 30_000, 0), integer(config, "threads", 16, 1, 256));
    }

    private static URI endpoint(String s) {
        try {
            URI uri = new URI(s);
            // tokens go to it: never over plain HTTP
            if (!"https".equals(uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT)) || uri.getHost() == null
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) || uri.getQuery() != null) {
                throw new IllegalArgumentException("KMS setting 'endpoint' must be an https URL with a host and no path, got '" + s + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("KMS setting 'endpoint' is not a URL: '" + s + "'");
        }
    }

    private static Duration millis(KmsConfig config, String name, int dflt, int min) {
        return Duration.ofMillis(integer(config, name, dflt, min, 3_600_000));
    }

    private static int integer(KmsConfig config, String name, int dflt, int min, int max) {
        Optional<String> v = config.get(name);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.get().trim());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("KMS setting '" + name + "' must be a whole number " + min + ".." + max + ", got '" + v.get() + "'");
        }
    }
}
