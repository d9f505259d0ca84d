package io.keyhold.kms.aws.internal;

import io.keyhold.kms.KmsConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The AWS provider's settings, from {@link KmsConfig} (the server's {@code kms.aws.*}):
 * <ul>
 *   <li>{@code endpoint}: a URL that replaces the regional KMS endpoint (a VPC interface endpoint,
 *       a proxy, a test fake); default: the SDK's endpoint for the key's region</li>
 *   <li>{@code fips}: {@code true} for the FIPS endpoints ({@code kms-fips.<region>.amazonaws.com});
 *       not together with {@code endpoint}</li>
 *   <li>{@code api-call-timeout-ms} (9000), {@code attempt-timeout-ms} (3000),
 *       {@code connect-timeout-ms} (2000): the SDK's bounds on a whole call, on one HTTP attempt,
 *       and on opening a connection</li>
 *   <li>{@code sdk-max-attempts} (2): attempts the SDK makes per call; {@code ResilientKms}
 *       retries on top, so keep it small</li>
 *   <li>{@code threads} (16): KMS calls that may run at once</li>
 * </ul>
 * Credentials are never settings: the SDK's default chain finds them.
 */
public record AwsSettings(Optional<URI> endpoint, boolean fips, Duration apiCallTimeout, Duration attemptTimeout,
                          Duration connectTimeout, int sdkMaxAttempts, int threads) {

    public static AwsSettings from(KmsConfig config) {
        Optional<URI> endpoint = config.get("endpoint").map(String::trim).filter(s -> !s.isEmpty()).map(AwsSettings::endpoint);
        boolean fips = config.bool("fips", false);
        if (fips && endpoint.isPresent()) {
            throw new IllegalArgumentException("KMS settings 'fips' and 'endpoint' exclude each other: give the FIPS endpoint's URL as 'endpoint'");
        }
        Duration attempt = millis(config, "attempt-timeout-ms", 3000);
        Duration call = millis(config, "api-call-timeout-ms", 9000);
        if (call.compareTo(attempt) < 0) {
            throw new IllegalArgumentException("KMS setting 'api-call-timeout-ms' must not be shorter than 'attempt-timeout-ms'");
        }
        return new AwsSettings(endpoint, fips, call, attempt, millis(config, "connect-timeout-ms", 2000),
                config.integer("sdk-max-attempts", 2, 1, 10), config.integer("threads", 16, 1, 256));
    }

    private static URI endpoint(String s) {
        try {
            URI uri = new URI(s);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
                throw new IllegalArgumentException("KMS setting 'endpoint' must be an http(s) URL with a host, got '" + s + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("KMS setting 'endpoint' is not a URL: '" + s + "'");
        }
    }

    private static Duration millis(KmsConfig config, String name, int dflt) {
        return Duration.ofMillis(config.integer(name, dflt, 1, 600_000));
    }
}
