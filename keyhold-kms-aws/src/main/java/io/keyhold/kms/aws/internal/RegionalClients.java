package io.keyhold.kms.aws.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * One SDK {@link KmsClient} per region, made on first use and kept: a key ARN names its region,
 * and each region has its own endpoint and signing scope. All share one HTTP client and one
 * credentials provider, the SDK's default chain (system properties, environment, web identity /
 * IRSA, profile, container, instance metadata): nothing of the credentials passes through Keyhold.
 */
public final class RegionalClients implements AutoCloseable {
    private final AwsSettings settings;
    private final SdkHttpClient http;
    private final AwsCredentialsProvider credentials;
    private final Map<String, KmsClient> clients = new ConcurrentHashMap<>();

    public RegionalClients(AwsSettings settings) {
        this.settings = settings;
        this.http = UrlConnectionHttpClient.builder()
                .connectionTimeout(settings.connectTimeout())
                .socketTimeout(settings.attemptTimeout())
                .build();
        this.credentials = DefaultCredentialsProvider.builder().build();
    }

    /** The client for {@code region}, e.g. {@code eu-west-1}. */
    public KmsClient forRegion(String region) {
        return clients.computeIfAbsent(region, this::open);
    }

    private KmsClient open(String region) {
        KmsClientBuilder b = KmsClient.builder()
                .region(Region.of(region))
                .httpClient(http)
                .credentialsProvider(credentials)
                .overrideConfiguration(o -> o
                        .apiCallTimeout(settings.apiCallTimeout())
                        .apiCallAttemptTimeout(settings.attemptTimeout())
                        .retryStrategy(r -> r.maxAttempts(settings.sdkMaxAttempts())));
        settings.endpoint().ifPresent(b::endpointOverride);
        if (settings.fips()) {
            b.fipsEnabled(true);
        }
        return b.build();
    }

    @Override
    public void close() {
        clients.values().forEach(KmsClient::close);
        clients.clear();
        http.close();
        if (credentials instanceof SdkAutoCloseable) {
            ((SdkAutoCloseable) credentials).close();
        }
    }
}
