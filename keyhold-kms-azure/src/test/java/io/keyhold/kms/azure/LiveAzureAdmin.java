package io.keyhold.kms.azure;

import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.models.CreateRsaKeyOptions;
import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The conformance suite's admin on a real vault, through Key Vault's own API as a customer would use
 * it: creates RSA-2048 keys (wrapKey, unwrapKey), disables and enables their current version, rotates
 * them and deletes them. Its identity needs 'Key Vault Crypto Officer' on the vault; Keyhold's own
 * connection uses the same environment. Deletes every key it made when closed (they stay soft-deleted
 * for the vault's retention period, as purge protection wants).
 */
final class LiveAzureAdmin implements KmsFakeAdmin.CanDelete, AutoCloseable {
    private final String vaultUrl;
    private final KeyClient keys;
    private final List<String> created = new CopyOnWriteArrayList<>();

    LiveAzureAdmin(String vaultUrl) {
        this.vaultUrl = vaultUrl.replaceAll("/+$", "");
        this.keys = new KeyClientBuilder().vaultUrl(this.vaultUrl).credential(new DefaultAzureCredentialBuilder().build()).buildClient();
    }

    @Override
    public String createKey() {
        String name = "keyhold-live-" + UUID.randomUUID().toString().substring(0, 8);
        KeyVaultKey k = keys.createRsaKey(new CreateRsaKeyOptions(name).setKeySize(2048)
                .setKeyOperations(KeyOperation.WRAP_KEY, KeyOperation.UNWRAP_KEY));
        created.add(k.getName());
        return vaultUrl + "/keys/" + k.getName();
    }

    @Override
    public String unknownKeyRef() {
        return vaultUrl + "/keys/keyhold-missing-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String name(String ref) {
        return ref.substring(ref.lastIndexOf('/') + 1);
    }

    private void setEnabled(String ref, boolean enabled) {
        KeyProperties p = keys.getKey(name(ref)).getProperties(); // the current version, while it is enabled
        keys.updateKeyProperties(p.setEnabled(enabled));
    }

    @Override
    public void disable(String keyRef) {
        setEnabled(keyRef, false);
    }

    @Override
    public void enable(String keyRef) {
        // a disabled version cannot be read: list the versions and enable the newest
        KeyProperties newest = null;
        for (KeyProperties p : keys.listPropertiesOfKeyVersions(name(keyRef))) {
            if (newest == null || p.getCreatedOn().isAfter(newest.getCreatedOn())) {
                newest = p;
            }
        }
        keys.updateKeyProperties(newest.setEnabled(true));
    }

    @Override
    public void rotate(String keyRef) {
        keys.rotateKey(name(keyRef));
    }

    @Override
    public void scheduleDeletion(String keyRef) {
        keys.beginDeleteKey(name(keyRef)).waitForCompletion();
        created.remove(name(keyRef));
    }

    @Override
    public void close() {
        for (String name : created) {
            try {
                keys.beginDeleteKey(name).waitForCompletion();
            } catch (RuntimeException e) {
                System.err.println("could not delete live test key " + name + ": " + e.getMessage());
            }
        }
    }
}
