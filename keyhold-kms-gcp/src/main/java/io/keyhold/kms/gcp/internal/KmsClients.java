package io.keyhold.kms.gcp.internal;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Builds the official Cloud KMS client ({@link KeyManagementServiceClient}, gRPC over
 * grpc-netty-shaded) from {@link GcpSettings}. Credentials are Application Default Credentials
 * unless {@code credentials-file} names a service-account key; nothing of them passes through
 * Keyhold. The standard channel (Google's endpoint or {@code endpoint}, TLS with the JVM's trust
 * store) is the client's own; only {@code plaintext} (emulators) and {@code ca-file} need a channel
 * built here, with the same target.
 */
public final class KmsClients {
    /** What the client asks tokens for: {@code cloud-platform} and {@code cloudkms}. */
    static final List<String> SCOPES = KeyManagementServiceSettings.getDefaultServiceScopes();

    private KmsClients() {
    }

    /** A client and, when this class built one, the channel it uses (closed with the client). */
    public record Opened(KeyManagementServiceClient client, ManagedChannel ownChannel) {
        public void close() {
            client.shutdown();
            if (ownChannel != null) {
                ownChannel.shutdown();
            }
        }
    }

    public static Opened open(GcpSettings s) {
        KeyManagementServiceSettings.Builder b = KeyManagementServiceSettings.newBuilder();
        b.setCredentialsProvider(credentials(s));
        ManagedChannel own = null;
        if (s.plaintext() || s.caFile().isPresent()) {
            own = Grpc.newChannelBuilder(s.endpoint().orElse(KeyManagementServiceSettings.getDefaultEndpoint()), channelCredentials(s)).build();
            b.setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(own)));
        }
        s.endpoint().ifPresent(b::setEndpoint);
        RetrySettings retries = RetrySettings.newBuilder()
                .setInitialRpcTimeoutDuration(s.attemptTimeout()).setMaxRpcTimeoutDuration(s.attemptTimeout()).setRpcTimeoutMultiplier(1.0)
                .setTotalTimeoutDuration(s.callTimeout()).setMaxAttempts(s.maxAttempts())
                .setInitialRetryDelayDuration(Duration.ofMillis(100)).setRetryDelayMultiplier(2.0).setMaxRetryDelayDuration(Duration.ofSeconds(1))
                .build();
        b.applyToAllUnaryMethods(m -> {
            m.setRetrySettings(retries); // keeps each method's retryable codes (UNAVAILABLE, DEADLINE_EXCEEDED for the data path)
            return null;
        });
        try {
            return new Opened(KeyManagementServiceClient.create(b.build()), own);
        } catch (IOException e) {
            if (own != null) {
                own.shutdownNow();
            }
            // e.g. no Application Default Credentials on this machine: the operator's to fix
            throw new IllegalArgumentException("the Cloud KMS client could not be created: " + e.getMessage()
                    + " (credentials: Application Default Credentials or the KMS setting 'credentials-file'; see docs/kms/gcp.md)", e);
        }
    }

    private static ChannelCredentials channelCredentials(GcpSettings s) {
        if (s.plaintext()) {
            return InsecureChannelCredentials.create();
        }
        Path ca = s.caFile().orElseThrow();
        try {
            return TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("KMS setting 'ca-file': " + ca + " holds no PEM certificates", e);
        }
    }

    private static CredentialsProvider credentials(GcpSettings s) {
        if (s.plaintext()) {
            return NoCredentialsProvider.create(); // gRPC sends no Google credentials without TLS; emulators take none
        }
        if (s.credentialsFile().isEmpty()) {
            return KeyManagementServiceSettings.defaultCredentialsProviderBuilder().build();
        }
        Path file = s.credentialsFile().get();
        try (InputStream in = Files.newInputStream(file)) {
            // as ADC treats a service-account key: self-signed JWTs with the scopes, no token exchange
            ServiceAccountCredentials key = ServiceAccountCredentials.fromStream(in).createWithUseJwtAccessWithScope(true);
            return FixedCredentialsProvider.create(key.createScoped(SCOPES));
        } catch (IOException | RuntimeException e) {
            // the library's text may quote the file: name the file and what it must be, nothing of its content
            throw new IllegalArgumentException("KMS setting 'credentials-file': " + file + " is not a Google service-account key file"
                    + " (the JSON key of type service_account that the console or gcloud iam service-accounts keys create writes)");
        }
    }
}
