package io.keyhold.kms.azure.internal;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.Configuration;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.identity.AadCredentialBuilderBase;
import com.azure.identity.AzureAuthorityHosts;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The credential Keyhold authenticates to Entra ID with, chosen from azure-identity's own
 * environment variables in the order of its {@code DefaultAzureCredential}, without the developer
 * tools (Azure CLI, IDE sign-ins) that have no place on a server:
 * <ol>
 *   <li>client secret: {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code AZURE_CLIENT_SECRET}</li>
 *   <li>client certificate: {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID},
 *       {@code AZURE_CLIENT_CERTIFICATE_PATH} (PEM, or PFX with {@code AZURE_CLIENT_CERTIFICATE_PASSWORD})</li>
 *   <li>workload identity (AKS): {@code AZURE_FEDERATED_TOKEN_FILE}, {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}</li>
 *   <li>otherwise managed identity (user-assigned when {@code AZURE_CLIENT_ID} is set)</li>
 * </ol>
 * Each is read as the SDK reads it: a Java system property of that name, else the environment
 * variable, when the connection opens. {@code AZURE_AUTHORITY_HOST} chooses the cloud's token
 * endpoint; for a host that is none of Azure's public and sovereign clouds (Azure Stack, a private
 * authority), MSAL's instance discovery, which would ask login.microsoftonline.com about it, is off.
 *
 * <p>Tenants: the credential's own is {@code AZURE_TENANT_ID}; each vault names the tenant it
 * belongs to in its authentication challenge, and the SDK asks for a token in that tenant, which
 * azure-identity allows only for the tenants in {@code AZURE_ADDITIONALLY_ALLOWED_TENANTS}
 * ({@code ;}-separated, {@code *} for any). See docs/kms/azure.md.
 */
public final class AzureCredentials {
    private static final Set<String> KNOWN_CLOUDS = Set.of(AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_CHINA,
            AzureAuthorityHosts.AZURE_GOVERNMENT, AzureAuthorityHosts.AZURE_GERMANY);

    /** The chosen credential and how to name it in messages (never a secret). */
    public record Chosen(TokenCredential credential, String description) {
    }

    private AzureCredentials() {
    }

    /** The system properties and environment as they are now, read the way azure-core reads them. */
    public static Configuration currentConfiguration() {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(String.valueOf(k), String.valueOf(v)));
        Map<String, String> environment = Map.copyOf(System.getenv());
        return new ConfigurationBuilder(path -> Map.of(), path -> properties, path -> environment).build();
    }

    public static Chosen choose(Configuration config, HttpClient http, RetryOptions retries) {
        String clientId = get(config, Configuration.PROPERTY_AZURE_CLIENT_ID);
        String tenant = get(config, Configuration.PROPERTY_AZURE_TENANT_ID);
        String secret = get(config, Configuration.PROPERTY_AZURE_CLIENT_SECRET);
        String certificate = get(config, Configuration.PROPERTY_AZURE_CLIENT_CERTIFICATE_PATH);
        String tokenFile = get(config, "AZURE_FEDERATED_TOKEN_FILE");
        if (clientId != null && tenant != null && secret != null) {
            return new Chosen(aad(new ClientSecretCredentialBuilder().clientSecret(secret), config, http, retries, clientId, tenant).build(),
                    "the client secret of application " + clientId + " (tenant " + tenant + ")");
        }
        if (clientId != null && tenant != null && certificate != null) {
            ClientCertificateCredentialBuilder b = new ClientCertificateCredentialBuilder();
            String lower = certificate.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".pfx") || lower.endsWith(".p12")) {
                b.pfxCertificate(certificate, get(config, Configuration.PROPERTY_AZURE_CLIENT_CERTIFICATE_PASSWORD));
            } else {
                b.pemCertificate(certificate);
            }
            return new Chosen(aad(b, config, http, retries, clientId, tenant).build(),
                    "the client certificate of application " + clientId + " (tenant " + tenant + ")");
        }
        if (clientId != null && tenant != null && tokenFile != null) {
            return new Chosen(aad(new WorkloadIdentityCredentialBuilder().tokenFilePath(tokenFile), config, http, retries, clientId, tenant).build(),
                    "the workload identity of application " + clientId + " (tenant " + tenant + ")");
        }
        ManagedIdentityCredentialBuilder mi = new ManagedIdentityCredentialBuilder().httpClient(http).configuration(config).retryOptions(retries);
        if (clientId != null) {
            mi.clientId(clientId);
        }
        return new Chosen(mi.build(), clientId == null ? "the system-assigned managed identity"
                : "the user-assigned managed identity " + clientId);
    }

    private static <T extends AadCredentialBuilderBase<T>> T aad(T b, Configuration config, HttpClient http, RetryOptions retries,
                                                                String clientId, String tenant) {
        String authority = authorityHost(config);
        b.clientId(clientId).tenantId(tenant).authorityHost(authority).httpClient(http).configuration(config).retryOptions(retries)
                .additionallyAllowedTenants(allowedTenants(config));
        if (!KNOWN_CLOUDS.contains(authority)) {
            b.disableInstanceDiscovery();
        }
        return b;
    }

    /** {@code AZURE_AUTHORITY_HOST} with a trailing slash, as azure-identity's constants are written; default: Azure's public cloud. */
    static String authorityHost(Configuration config) {
        String host = get(config, Configuration.PROPERTY_AZURE_AUTHORITY_HOST);
        if (host == null) {
            return AzureAuthorityHosts.AZURE_PUBLIC_CLOUD;
        }
        return host.endsWith("/") ? host : host + "/";
    }

    static List<String> allowedTenants(Configuration config) {
        String v = get(config, "AZURE_ADDITIONALLY_ALLOWED_TENANTS");
        return v == null ? List.of() : Arrays.stream(v.split("[;,]")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    private static String get(Configuration config, String name) {
        String v = config.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }
}
