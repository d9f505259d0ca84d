package io.keyhold.kms.aws;

import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AwsKeyChecksTest extends FakeAwsTestBase {

    @Test
    void aGoodKeyHasNoProblems() {
        assertThat(await(AwsKeyChecks.check(kms, fake.createKey(), "eu-west-1"))).isEmpty();
        assertThat(await(AwsKeyChecks.check(kms, fake.createAlias(fake.createKey()), null))).isEmpty();
    }

    @Test
    void eachProblemInWordsTheCustomerCanActOn() {
        String disabled = fake.createKey();
        fake.disable(disabled);
        assertThat(await(AwsKeyChecks.check(kms, disabled, "eu-west-1"))).containsExactly("the key is disabled");

        String pending = fake.createKey();
        fake.scheduleDeletion(pending);
        assertThat(await(AwsKeyChecks.check(kms, pending, "eu-west-1"))).singleElement().asString().startsWith("the key is pending deletion");

        assertThat(await(AwsKeyChecks.check(kms, fake.createKey(), "us-east-1")))
                .containsExactly("wrong region: the key is in eu-west-1, expected us-east-1");

        String hmac = fake.createKey("HMAC_256", "GENERATE_VERIFY_MAC");
        assertThat(await(AwsKeyChecks.check(kms, hmac, "eu-west-1"))).singleElement().asString()
                .startsWith("the key is not a symmetric encryption key (key spec HMAC_256)");

        String hidden = fake.createKey();
        fake.deny(hidden, "DescribeKey");
        assertThat(await(AwsKeyChecks.check(kms, hidden, "eu-west-1"))).singleElement().asString()
                .startsWith("access denied for arn:aws:iam::111122223333:user/keyhold-test");

        assertThat(await(AwsKeyChecks.check(kms, fake.unknownKeyRef(), "eu-west-1"))).singleElement().asString()
                .startsWith("the key was not found");
    }
}
