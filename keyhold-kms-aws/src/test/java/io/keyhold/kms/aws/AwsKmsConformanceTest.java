package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.OutageConformance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** The conformance suite with key ARNs as references, against the wire-level fake, which can do everything the suite asks. */
@ExtendWith(FakeCredentials.class)
class AwsKmsConformanceTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private FakeAwsKms fake;

    @Override
    protected Kms connect() {
        fake = FakeAwsKms.start("eu-west-1");
        return FakeConnections.open(fake);
    }

    @Override
    public FakeAwsKms admin() {
        return fake;
    }

    /** AWS's blob names its key material; a key ARN's KEK reference carries no version. */
    @Override
    protected boolean kekRefCarriesKeyVersion() {
        return false;
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }
}
