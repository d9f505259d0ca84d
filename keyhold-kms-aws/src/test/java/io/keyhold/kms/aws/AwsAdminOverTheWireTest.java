package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.FaultsAtTheFake;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.OutageConformance;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The suite with the live run's admin, which changes keys through the KMS management API
 * (CreateKey, DisableKey, EnableKey, RotateKeyOnDemand, ScheduleKeyDeletion), against the fake:
 * checks the live admin before anyone runs it on AWS, and the fake's management operations against
 * what the SDK sends. Access denial and outages, which the live admin cannot cause, go to the fake
 * directly, so every capability's tests run.
 */
@ExtendWith(FakeCredentials.class)
class AwsAdminOverTheWireTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private FakeAwsKms fake;
    private OverTheWireAdmin admin;

    @Override
    protected Kms connect() {
        fake = FakeAwsKms.start("ap-southeast-2");
        admin = new OverTheWireAdmin(fake);
        return FakeConnections.open(fake);
    }

    @Override
    public OverTheWireAdmin admin() {
        return admin;
    }

    @Override
    protected boolean kekRefCarriesKeyVersion() {
        return false;
    }

    @AfterEach
    void stop() {
        fake.misbehave(FakeAwsKms.Mode.NONE); // the admin's last calls must not meet a hang the test left
        admin.close();
        fake.close();
    }

    /** The live admin over the fake's endpoint, with what it cannot do over the API done on the fake. */
    static final class OverTheWireAdmin extends LiveAwsAdmin implements FaultsAtTheFake<FakeAwsKms> {
        private final FakeAwsKms fake;

        OverTheWireAdmin(FakeAwsKms fake) {
            super(fake.createKey(), KmsClient.builder().endpointOverride(fake.endpoint()), Duration.ZERO);
            this.fake = fake;
        }

        @Override
        public FakeAwsKms fake() {
            return fake;
        }
    }
}
