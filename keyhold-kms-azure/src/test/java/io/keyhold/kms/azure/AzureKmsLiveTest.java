package io.keyhold.kms.azure;

import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsAssertions;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite against a real Key Vault: only in the {@code azure-live} Maven profile, with
 * azure-identity's {@code AZURE_*} credentials and {@code KEYHOLD_AZURE_LIVE_VAULT_URL} set (see
 * docs/kms/azure.md). It creates its own keys there and deletes them. Access denial and outages
 * cannot be caused on real Azure from here, so only deletion is declared; the fake runs the rest.
 */
class AzureKmsLiveTest extends KmsConformanceSuite implements DeletionConformance {
    private static final String VAULT_ENV = "KEYHOLD_AZURE_LIVE_VAULT_URL";
    private static LiveAzureAdmin admin;

    @BeforeAll
    static void startAdmin() {
        String vault = System.getenv(VAULT_ENV);
        if (vault == null || vault.isBlank()) {
            throw new IllegalStateException("the azure-live profile needs " + VAULT_ENV + " (https://<vault>.vault.azure.net) and AZURE_* credentials");
        }
        admin = new LiveAzureAdmin(vault);
    }

    @AfterAll
    static void deleteKeys() {
        if (admin != null) {
            admin.close();
        }
    }

    @Override
    protected Kms connect() {
        Map<String, String> settings = new HashMap<>();
        settings.put("version-cache-ms", "0"); // the suite rotates and expects the next DEK under the new version
        for (String s : new String[] {"endpoint", "trust-store"}) {
            String v = System.getenv("KEYHOLD_KMS_AZURE_" + s.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            if (v != null) {
                settings.put(s, v);
            }
        }
        return KmsProviders.require("azure").open(KmsConfig.of(settings));
    }

    @Override
    public LiveAzureAdmin admin() {
        return admin;
    }

    @Test
    void aRealKeyWrapsAndUnwrapsAndIsMeasured() {
        String key = admin.createKey();
        EncryptionContext context = EncryptionContext.forTopic("live-test", "orders");
        GeneratedDek g = await(kms().generate(key, context));
        try (DataKey back = await(kms().unwrap(g.kek(), g.edek(), context))) {
            assertThat(KmsAssertions.keyBytes(back)).isEqualTo(KmsAssertions.keyBytes(g.dek()));
        }
        assertThat(await(kms().keyProblems(key))).as("a fresh key in the test vault (purge protection must be on)").isEmpty();
        System.out.println("real Key Vault RSA-2048 wrapped DEK: " + g.edek().length + " bytes, version " + g.kek().keyVersion().length()
                + " characters");
    }
}
