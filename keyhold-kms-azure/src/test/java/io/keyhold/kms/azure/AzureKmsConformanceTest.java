package io.keyhold.kms.azure;

import io.keyhold.kms.Kms;
import io.keyhold.kms.azure.fake.FakeAzure;
import io.keyhold.kms.azure.fake.FakeKeyVault;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.OutageConformance;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite with Key Vault key URLs, against the wire-level fake, which can do everything the suite asks. */
class AzureKmsConformanceTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    @TempDir
    Path dir;
    private FakeAzure azure;

    @Override
    protected Kms connect() {
        azure = FakeAzure.keyVault(dir, "keyhold-conformance");
        azure.installCredentials();
        return azure.connect();
    }

    @Override
    public FakeKeyVault admin() {
        return azure.vault();
    }

    @AfterEach
    void stopFake() {
        azure.close();
    }
}
