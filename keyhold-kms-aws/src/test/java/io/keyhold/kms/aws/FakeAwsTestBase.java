package io.keyhold.kms.aws;

import static io.keyhold.kms.testkit.KmsAssertions.await;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.KmsAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** A fresh fake in eu-west-1 and the provider's own connection to it, for each test. */
@ExtendWith(FakeCredentials.class)
abstract class FakeAwsTestBase {
    static final EncryptionContext ORDERS = EncryptionContext.forTopic("cluster-a", "orders");

    FakeAwsKms fake;
    Kms kms;

    @BeforeEach
    void startFake() {
        fake = FakeAwsKms.start("eu-west-1");
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
