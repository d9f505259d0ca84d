package io.keyhold.kms.gcp;

import static io.keyhold.kms.testkit.KmsAssertions.await;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.gcp.fake.FakeGcpKms;
import io.keyhold.kms.testkit.KmsAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh TLS fake in us-central1 and the provider's own connection to it, for each test. */
abstract class FakeGcpTestBase {
    static final EncryptionContext ORDERS = EncryptionContext.forTopic("cluster-a", "orders");

    FakeGcpKms fake;
    Kms kms;

    @BeforeEach
    void startFake() {
        fake = FakeGcpKms.start("us-central1");
        kms = FakeConnections.open(fake);
    }

    @AfterEach
    void stopFake() {
        kms.close();
        fake.close();
    }

    GeneratedDek generate(String ref) {
        return await(kms.generate(ref, ORDERS));
    }

    void assertUnwraps(GeneratedDek g) {
        KmsAssertions.assertUnwraps(kms, g, ORDERS);
    }
}
