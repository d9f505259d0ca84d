package io.keyhold.kms.vault;

import io.keyhold.kms.Kms;
import io.keyhold.kms.vault.fake.FakeVault;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.OutageConformance;
import org.junit.jupiter.api.AfterEach;

/** The conformance suite against the wire-level fake of Vault's Transit HTTP API, with a static token; it can do all the suite asks. */
class VaultKmsConformanceTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private FakeVault vault;

    @Override
    protected Kms connect() {
        vault = FakeVault.start();
        return VaultKms.open(vault.tokenConfig());
    }

    @Override
    public FakeVault admin() {
        return vault;
    }

    @AfterEach
    void stopFake() {
        vault.close();
    }
}
