package io.keyhold.kms.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.Configuration;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.KeyServiceVersion;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyServiceVersion;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SDK clients of one connection: a {@link KeyClient} per vault (get, rotate) and a
 * {@link CryptographyClient} per key version (wrap, unwrap), made on first use and kept. All share
 * one HTTP client (the JDK's {@code java.net.http} transport, the only one on the class path) and
 * one credential. Cryptography clients never cache the key to wrap locally: every wrap is a call to
 * Key Vault, so disabling the key or removing Keyhold's role stops new DEKs at once and Key Vault's
 * logs show every use.
 */
public final class VaultClients {
    /** The REST API version Keyhold speaks, pinned so an SDK upgrade does not change it unnoticed. */
    public static final String API_VERSION = KeyServiceVersion.V2025_07_01.getVersion();

    private final AzureSettings settings;
    private final HttpClient http;
    private final AzureCredentials.Chosen credential;
    private final Map<String, KeyClient> keyClients = new ConcurrentHashMap<>();
    private final Map<String, CryptographyClient> cryptoClients = new ConcurrentHashMap<>();

    public VaultClients(AzureSettings settings, Configuration config) {
        this.settings = settings;
        this.http = new JdkTransport(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(TrustStores.context(settings.trustStore())))
                .connectionTimeout(settings.connectTimeout())
                .responseTimeout(settings.responseTimeout())
                .readTimeout(settings.responseTimeout())
                .configuration(config)
                .build());
        this.credential = AzureCredentials.choose(config, http, retries()); // token requests retry as little as vault calls
    }

    /** How the credential is named in messages, e.g. "the client secret of application ... (tenant ...)". */
    public String credential() {
        return credential.description();
    }

    public KeyClient keys(KeyUrl key) {
        return keyClients.computeIfAbsent(key.vault(), vault -> {
            KeyClientBuilder b = new KeyClientBuilder().vaultUrl(vault).credential(credential.credential()).httpClient(http)
                    .retryOptions(retries()).serviceVersion(KeyServiceVersion.V2025_07_01);
            override().ifPresent(b::addPolicy);
            return b.buildClient();
        });
    }

    /** The client of one key version, e.g. {@code https://v.vault.azure.net/keys/k/0123...}. */
    public CryptographyClient crypto(KeyUrl key, String version) {
        return cryptoClients.computeIfAbsent(key.withVersion(version), kid -> {
            CryptographyClientBuilder b = new CryptographyClientBuilder().keyIdentifier(kid).credential(credential.credential())
                    .httpClient(http).retryOptions(retries()).serviceVersion(CryptographyServiceVersion.V2025_07_01).disableKeyCaching();
            override().ifPresent(b::addPolicy);
            return b.buildClient();
        });
    }

    private java.util.Optional<HttpPipelinePolicy> override() {
        return settings.endpoint().map(EndpointOverride::new);
    }

    private RetryOptions retries() {
        return new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(settings.sdkMaxRetries())
                .setBaseDelay(Duration.ofMillis(100)).setMaxDelay(Duration.ofSeconds(1)));
    }
}
