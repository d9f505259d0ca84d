package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The suite with the live run's admin, which changes keys through the KMS management API
 * (CreateKey, DisableKey, EnableKey, RotateKeyOnDemand, ScheduleKeyDeletion), against the fake:
 * checks the live admin before anyone runs it on AWS, and the fake's management operations against
 * what the SDK sends. Access denial and outages go to the fake directly.
 */
@ExtendWith(FakeCredentials.class)
class AwsAdminOverTheWireTest extends KmsConformanceSuite {
    private FakeAwsKms fake;
    private LiveAwsAdmin admin;

    @Override
    protected Kms connect() {
        fake = FakeAwsKms.start("ap-southeast-2");
        admin = new LiveAwsAdmin(fake.createKey(), KmsClient.builder().endpointOverride(fake.endpoint()), fake, Duration.ZERO);
        return FakeConnections.open(fake);
    }

    @Override
    protected KmsFakeAdmin admin() {
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
}
