package io.keyhold.kms.gcp;

import io.keyhold.kms.Kms;
import io.keyhold.kms.gcp.fake.FakeGcpKms;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.FaultsAtTheFake;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.OutageConformance;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/**
 * The suite with the live run's admin, which changes keys through the Cloud KMS management API
 * (CreateCryptoKey, UpdateCryptoKeyVersion, CreateCryptoKeyVersion, UpdateCryptoKeyPrimaryVersion,
 * ListCryptoKeyVersions, DestroyCryptoKeyVersion), against the fake: checks the live admin before
 * anyone runs it on Google Cloud, and the fake's management methods against what the client sends.
 * Access denial and outages, which the live admin cannot cause, go to the fake directly.
 */
class GcpAdminOverTheWireTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private FakeGcpKms fake;
    private OverTheWireAdmin admin;

    @Override
    protected Kms connect() {
        fake = FakeGcpKms.start("asia-southeast1");
        String ring = fake.createKey().replaceAll("/cryptoKeys/.*$", ""); // the key ring the live run would be given
        admin = new OverTheWireAdmin(fake, ring);
        return FakeConnections.open(fake);
    }

    @Override
    public OverTheWireAdmin admin() {
        return admin;
    }

    @AfterEach
    void stop() {
        fake.misbehave(FakeGcpKms.Mode.NONE); // the admin's last calls must not meet a hang the test left
        admin.close();
        fake.close();
    }

    /** The live admin over the fake's endpoint, with what it cannot do over the API done on the fake. */
    static final class OverTheWireAdmin extends LiveGcpAdmin implements FaultsAtTheFake<FakeGcpKms> {
        private final FakeGcpKms fake;

        OverTheWireAdmin(FakeGcpKms fake, String keyRing) {
            super(keyRing, FakeConnections.config(fake), Duration.ZERO);
            this.fake = fake;
        }

        @Override
        public FakeGcpKms fake() {
            return fake;
        }
    }
}
