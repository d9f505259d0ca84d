package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** The conformance suite with key ARNs as references, against the wire-level fake. */
@ExtendWith(FakeCredentials.class)
class AwsKmsConformanceTest extends KmsConformanceSuite {
    private FakeAwsKms fake;

    @Override
    protected Kms connect() {
        fake = FakeAwsKms.start("eu-west-1");
        return FakeConnections.open(fake);
    }

    @Override
    protected KmsFakeAdmin admin() {
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
