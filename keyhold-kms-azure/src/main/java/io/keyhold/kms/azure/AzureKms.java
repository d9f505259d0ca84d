package io.keyhold.kms.azure;

import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.ContextBinding;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.azure.internal.AzureCredentials;
import io.keyhold.kms.azure.internal.AzureErrors;
import io.keyhold.kms.azure.internal.AzureSettings;
import io.keyhold.kms.azure.internal.CurrentVersions;
import io.keyhold.kms.azure.internal.KeyDescriptions;
import io.keyhold.kms.azure.internal.KeyUrl;
import io.keyhold.kms.azure.internal.VaultClients;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A connection to Azure Key Vault and Managed HSM through the Azure SDK for Java (its synchronous
 * clients, on {@link BlockingKms}'s threads). Key references are versionless key URLs; a version
 * given with one is ignored. A DEK costs one wrapKey call (RSA-OAEP-256, in Key Vault: never
 * locally) under the key's current version, and one unwrapKey under the version it was wrapped
 * with, which its {@link KekRef#keyVersion()} records; so a new version (Azure's automatic rotation,
 * or a manual one) serves new DEKs while older ones stay readable as long as their versions are
 * enabled.
 *
 * <p>Key Vault's wrapKey takes no additional data: the encryption context is bound into what is
 * wrapped ({@link ContextBinding}). The current version is cached for {@code version-cache-ms};
 * {@link #describe} and {@link #checkAccess} (the server's key health check) always look it up.
 * See docs/kms/azure.md.
 */
public final class AzureKms extends BlockingKms {
    public static final String KIND = "azure";
    /** RSA-2048, -3072 and -4096 ciphertexts: every size Key Vault makes. */
    private static final Set<Integer> RSA_SIZES = Set.of(256, 384, 512);
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9]{1,64}");
    /** The label of Azure EDEKs' context binding: fixed, or existing EDEKs stop unwrapping. */
    private static final ContextBinding BINDING = new ContextBinding("keyhold azure edek v1");

    private final VaultClients clients;
    private final CurrentVersions versions;
    /** The bundle the last describe of each key returned (empty: Key Vault said the current version is disabled), for keyProblems. */
    private final Map<String, Optional<KeyVaultKey>> described = new ConcurrentHashMap<>();

    AzureKms(AzureSettings settings) {
        super(KIND, settings.threads());
        this.clients = new VaultClients(settings, AzureCredentials.currentConfiguration());
        this.versions = new CurrentVersions(settings.versionCache());
    }

    /** Opens a connection with the settings of docs/kms/azure.md; credentials come from azure-identity's environment. */
    public static AzureKms open(KmsConfig config) {
        return new AzureKms(AzureSettings.from(config));
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    protected KeyInfo describeBlocking(String keyRef) {
        KeyUrl key = KeyUrl.parse(keyRef);
        try {
            KeyVaultKey bundle = call("get", key.versionless(), () -> clients.keys(key).getKey(key.name()));
            described.put(key.versionless(), Optional.of(bundle));
            KeyInfo info = KeyDescriptions.info(key, bundle, Instant.now());
            versions.put(key.versionless(), info.currentVersion());
            return info;
        } catch (KmsDeniedException e) {
            if (e.reason() != KmsDeniedException.Reason.DISABLED) {
                throw e;
            }
            described.put(key.versionless(), Optional.empty());
            return KeyDescriptions.disabled(key);
        }
    }

    /** Key type, state, dates, permitted operations and purge protection, as {@link AzureKeyChecks} words them. */
    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return describe(keyRef).thenApply(info -> {
            Optional<KeyVaultKey> bundle = described.getOrDefault(KeyUrl.parse(keyRef).versionless(), Optional.empty());
            return bundle.map(b -> AzureKeyChecks.problems(b, Instant.now())).orElse(List.of(AzureKeyChecks.disabled()));
        });
    }

    /** Looks the current version up first, so the health check also picks up a rotation; then the round trip. */
    @Override
    public CompletionStage<Void> checkAccess(String keyRef) {
        return describe(keyRef).thenCompose(info -> super.checkAccess(keyRef));
    }

    @Override
    protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
        return generateByWrapping(keyRef, context);
    }

    /**
     * {@code wrapKey} (RSA-OAEP-256) of the key and its context tag ({@link ContextBinding}) under the
     * key's current version, which records then name; Key Vault's RSA wrap has no associated data of its own.
     */
    @Override
    protected WrappedKey wrapBlocking(String keyRef, DataKey key, EncryptionContext context) {
        KeyUrl url = KeyUrl.parse(keyRef);
        String version = versions.get(url.versionless(), () -> describeBlocking(keyRef).currentVersion());
        if (version.isEmpty()) { // Key Vault hides a disabled current version
            throw new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "Azure Key Vault key " + url.versionless() + ": "
                    + AzureKeyChecks.disabled());
        }
        byte[] payload = BINDING.payload(key, context);
        try {
            byte[] edek = call("wrapKey", url.withVersion(version),
                    () -> clients.crypto(url, version).wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, payload).getEncryptedKey());
            return new WrappedKey(new KekRef(KIND, keyRef, version), edek);
        } catch (KmsDeniedException e) {
            versions.forget(url.versionless()); // a newer version may serve: look it up next time
            throw e;
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }

    @Override
    protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
        if (!KIND.equals(kek.provider())) {
            throw new IllegalArgumentException("not an Azure Key Vault key: " + kek);
        }
        KeyUrl key = KeyUrl.parse(kek.keyId());
        if (!VERSION.matcher(kek.keyVersion()).matches()) {
            throw new IllegalArgumentException("an Azure KEK reference names the key version it was wrapped with, got '"
                    + kek.keyVersion() + "'");
        }
        String what = key.withVersion(kek.keyVersion());
        if (!RSA_SIZES.contains(edek.length)) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "Azure Key Vault unwrapKey of " + what
                    + ": " + edek.length + " bytes is no RSA ciphertext of a key size Key Vault makes");
        }
        byte[] payload = call("unwrapKey", what,
                () -> clients.crypto(key, kek.keyVersion()).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, edek).getKey());
        return BINDING.open(payload, context, "Azure Key Vault unwrapKey of " + what);
    }

    /** Creates a new key version (Key Vault's rotate: needs the rotate permission, e.g. Key Vault Crypto Officer). */
    @Override
    protected KeyInfo rotateBlocking(String keyRef) {
        KeyUrl key = KeyUrl.parse(keyRef);
        KeyVaultKey bundle = call("rotate", key.versionless(), () -> clients.keys(key).rotateKey(key.name()));
        KeyInfo info = KeyDescriptions.info(key, bundle, Instant.now());
        versions.put(key.versionless(), info.currentVersion());
        return info;
    }

    @Override
    protected void closeBlocking() {
        // the JDK HTTP client's threads are daemons and end with it; nothing else is held
    }

    private <T> T call(String op, String what, Supplier<T> request) {
        try {
            return request.get();
        } catch (KmsDeniedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw AzureErrors.map(op, what, e, clients.credential());
        }
    }
}
