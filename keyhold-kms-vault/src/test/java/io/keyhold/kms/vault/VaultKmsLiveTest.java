package io.keyhold.kms.vault;

import io.keyhold.kms.Kms;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;

/**
 * The conformance suite against a real Vault or OpenBao, only with {@code -Pvault-live} and
 * {@code VAULT_ADDR} and {@code VAULT_TOKEN} set (see docs/kms/vault.md). Not outages: a real
 * Vault cannot be told to fail.
 */
class VaultKmsLiveTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance {
    private static LiveVaultAdmin admin;

    @Override
    protected Kms connect() {
        return VaultKms.open(admin().keyholdConfig());
    }

    @Override
    public LiveVaultAdmin admin() {
        synchronized (VaultKmsLiveTest.class) {
            if (admin == null) {
                if (System.getenv("VAULT_ADDR") == null || System.getenv("VAULT_TOKEN") == null) {
                    throw new IllegalStateException("-Pvault-live needs VAULT_ADDR and VAULT_TOKEN (docs/kms/vault.md)");
                }
                admin = new LiveVaultAdmin();
            }
            return admin;
        }
    }
}
