package io.keyhold.kms.gcp;

import io.keyhold.kms.Kms;
import io.keyhold.kms.gcp.fake.FakeGcpKms;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.OutageConformance;
import org.junit.jupiter.api.AfterEach;

/**
 * The conformance suite against the gRPC fake over TLS (test CA), the client authenticating with a
 * service-account key file as a user would ({@code credentials-file}); the fake models everything
 * the suite asks. The KEK reference carries the version Encrypt answered with.
 */
class GcpKmsConformanceTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private FakeGcpKms fake;

    @Override
    protected Kms connect() {
        fake = FakeGcpKms.start("us-central1");
        return FakeConnections.open(fake);
    }

    @Override
    public FakeGcpKms admin() {
        return fake;
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }
}
