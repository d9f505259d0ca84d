package io.keyhold.kms.azure.fake;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.testkit.TestCa;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Azure as the provider sees it in a test: a test CA, Entra ID's token endpoint and one Key Vault (or
 * Managed HSM), all on 127.0.0.1, and an application registered in the vault's tenant. The
 * application's credentials reach azure-identity the way a user gives them: the {@code AZURE_*}
 * settings, here as Java system properties ({@link #installCredentials()}), which the SDK reads
 * before environment variables.
 */
public final class FakeAzure implements AutoCloseable {
    public static final String TENANT = "5b1c7a3e-0d2f-4c8e-9a61-7f3e2d1c0b9a";
    public static final String CLIENT_ID = "0f3d9c2b-6a5e-4b7d-8c1f-2e9a7b6c5d4e";
    public static final String CLIENT_SECRET = "keyhold~fake~client~secret~for~tests~only";
    /** The azure-identity settings the tests set, and clear afterwards. */
    public static final List<String> SETTINGS = List.of("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST",
            "AZURE_ADDITIONALLY_ALLOWED_TENANTS");

    private final TestCa pki;
    private final FakeEntraId entra;
    private final FakeKeyVault vault;
    private final Path caPem;

    private FakeAzure(Path dir, String vaultName, boolean hsm, String vaultTenant) {
        this.pki = TestCa.create();
        this.caPem = pki.writeCaPem(dir.resolve("test-ca.pem"));
        this.entra = FakeEntraId.start(pki);
        entra.register(CLIENT_ID, CLIENT_SECRET, TENANT, vaultTenant);
        this.vault = FakeKeyVault.start(pki, entra, vaultName, hsm, vaultTenant);
    }

    /** A Key Vault named {@code vaultName} in the application's own tenant; {@code dir} receives the CA certificate file. */
    public static FakeAzure keyVault(Path dir, String vaultName) {
        return new FakeAzure(dir, vaultName, false, TENANT);
    }

    /**
     * A Key Vault in another tenant, {@code vaultTenant}, where the (multi-tenant) application also has
     * a service principal: a customer's vault. Use a vault name of its own: the SDK remembers each
     * vault's challenge for the life of the JVM.
     */
    public static FakeAzure keyVaultIn(Path dir, String vaultName, String vaultTenant) {
        return new FakeAzure(dir, vaultName, false, vaultTenant);
    }

    public static FakeAzure managedHsm(Path dir, String hsmName) {
        return new FakeAzure(dir, hsmName, true, TENANT);
    }

    public FakeKeyVault vault() {
        return vault;
    }

    public FakeEntraId entra() {
        return entra;
    }

    public TestCa pki() {
        return pki;
    }

    /** The CA certificate file: the provider's {@code trust-store} setting. */
    public Path caPem() {
        return caPem;
    }

    /** The provider's settings for this fake: its endpoint, the test CA, short SDK timeouts. */
    public Map<String, String> settings() {
        Map<String, String> s = new HashMap<>();
        s.put("endpoint", vault.endpoint().toString());
        s.put("trust-store", caPem.toString());
        s.put("response-timeout-ms", "2000");
        s.put("connect-timeout-ms", "2000");
        s.put("threads", "16");
        return s;
    }

    /** A connection of the provider, found through ServiceLoader as the server finds it, to this fake. */
    public Kms connect() {
        return connect(Map.of());
    }

    /** Likewise, with some settings changed. */
    public Kms connect(Map<String, String> overrides) {
        Map<String, String> s = settings();
        s.putAll(overrides);
        return KmsProviders.require("azure").open(KmsConfig.of(s));
    }

    /** Gives azure-identity the registered application's client secret and this token endpoint. */
    public void installCredentials() {
        System.setProperty("AZURE_CLIENT_ID", CLIENT_ID);
        System.setProperty("AZURE_TENANT_ID", TENANT);
        System.setProperty("AZURE_CLIENT_SECRET", CLIENT_SECRET);
        System.setProperty("AZURE_AUTHORITY_HOST", entra.authorityHost().toString());
    }

    public static void clearCredentials() {
        SETTINGS.forEach(System::clearProperty);
    }

    @Override
    public void close() {
        vault.close();
        entra.close();
        clearCredentials();
    }
}
