package io.keyhold.kms.gcp.internal;

import io.keyhold.kms.KmsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Google Cloud provider's settings, from {@link KmsConfig} (the server's {@code kms.gcp.*},
 * env {@code KEYHOLD_KMS_GCP_*}, or a proxy's {@code kms} section); docs/kms/gcp.md explains each:
 * <ul>
 *   <li>{@code endpoint}: {@code host:port} instead of {@code cloudkms.googleapis.com:443} (Private
 *       Service Connect, a regional endpoint, an emulator, a test fake)</li>
 *   <li>{@code plaintext}: {@code true} for gRPC without TLS and without credentials: <b>emulators
 *       only</b>; needs {@code endpoint}</li>
 *   <li>{@code ca-file}: PEM certificates to trust for the endpoint's TLS certificate instead of the
 *       JVM's trust store (a TLS-inspecting egress proxy, a private endpoint with its own CA)</li>
 *   <li>{@code credentials-file}: a service-account key file used instead of Application Default
 *       Credentials</li>
 *   <li>{@code attempt-timeout-ms} (3000), {@code call-timeout-ms} (9000), {@code max-attempts} (2):
 *       the client's bounds on one gRPC attempt and on a call with its retries; {@code ResilientKms}
 *       retries on top, so keep them small</li>
 * </ul>
 */
public record GcpSettings(Optional<String> endpoint, boolean plaintext, Optional<Path> caFile, Optional<Path> credentialsFile,
                          Duration attemptTimeout, Duration callTimeout, int maxAttempts) {
    /** {@code host:port}, a host name, IPv4 address or bracketed IPv6 address and a port. */
    private static final Pattern HOST_PORT = Pattern.compile("(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}");

    public static GcpSettings from(KmsConfig config) {
        Optional<String> endpoint = config.get("endpoint").map(String::trim).filter(s -> !s.isEmpty());
        endpoint.ifPresent(e -> {
            if (!HOST_PORT.matcher(e).matches()) {
                throw new IllegalArgumentException("KMS setting 'endpoint' must be host:port (e.g. cloudkms.googleapis.com:443), got '" + e + "'");
            }
        });
        boolean plaintext = config.bool("plaintext", false);
        Optional<Path> ca = file(config, "ca-file");
        Optional<Path> credentials = file(config, "credentials-file");
        if (plaintext && endpoint.isEmpty()) {
            throw new IllegalArgumentException("KMS setting 'plaintext' is for emulators and needs 'endpoint' (the emulator's host:port)");
        }
        if (plaintext && (ca.isPresent() || credentials.isPresent())) {
            throw new IllegalArgumentException("KMS setting 'plaintext' sends no credentials and uses no TLS: it excludes 'ca-file' and 'credentials-file'");
        }
        Duration attempt = Duration.ofMillis(config.integer("attempt-timeout-ms", 3000, 1, 600_000));
        Duration call = Duration.ofMillis(config.integer("call-timeout-ms", 9000, 1, 600_000));
        if (call.compareTo(attempt) < 0) {
            throw new IllegalArgumentException("KMS setting 'call-timeout-ms' must not be shorter than 'attempt-timeout-ms'");
        }
        return new GcpSettings(endpoint, plaintext, ca, credentials, attempt, call, config.integer("max-attempts", 2, 1, 10));
    }

    private static Optional<Path> file(KmsConfig config, String name) {
        Optional<Path> p = config.get(name).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of);
        p.ifPresent(f -> {
            if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
                throw new IllegalArgumentException("KMS setting '" + name + "': " + f + " is not a readable file");
            }
        });
        return p;
    }
}
