package io.keyhold.kms.aws;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import org.junit.jupiter.api.Test;

/** What goes over the wire: signatures, regions, endpoints, calls and sizes. */
class AwsWireTest extends FakeAwsTestBase {

    @Test
    void everyRequestIsSignedForTheKeysRegionAndTheFakeChecksTheSignature() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        assertThat(fake.requests()).isNotEmpty().allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.signingRegion()).isEqualTo("eu-west-1");
        });

        System.setProperty(FakeCredentials.SECRET_KEY_PROPERTY, "not-the-secret-key-of-" + FakeAwsKms.ACCESS_KEY);
        try {
            KmsDeniedException e = assertDenied(kms.unwrap(g.kek(), g.edek(), ORDERS), Reason.ACCESS_DENIED);
            assertThat(e).hasMessageContaining("InvalidSignatureException").hasMessageContaining("credentials Keyhold uses were refused");
            assertThat(e.getMessage()).doesNotContain("not-the-secret-key");
            System.setProperty(FakeCredentials.ACCESS_KEY_PROPERTY, "AKIAUNKNOWNKEY000000");
            assertThat(assertDenied(kms.describe(key), Reason.ACCESS_DENIED)).hasMessageContaining("UnrecognizedClientException");
        } finally {
            FakeCredentials.install();
        }
        assertThat(fake.requests().get(fake.requests().size() - 1).status()).isEqualTo(400);
        assertUnwraps(g);
    }

    @Test
    void theRegionAndPartitionComeFromTheArn() {
        for (String region : List.of("us-east-2", "ap-southeast-2", "us-gov-west-1", "cn-north-1")) {
            String key = fake.createKeyIn(region);
            assertThat(key).startsWith(region.startsWith("cn-") ? "arn:aws-cn:" : region.startsWith("us-gov-") ? "arn:aws-us-gov:" : "arn:aws:");
            int seen = fake.requests().size();
            GeneratedDek g = generate(key);
            assertUnwraps(g);
            assertThat(await(kms.describe(key)).region()).isEqualTo(region);
            assertThat(fake.requests().subList(seen, fake.requests().size())).allSatisfy(r -> assertThat(r.signingRegion()).isEqualTo(region));
        }
    }

    @Test
    void theEndpointSettingIsWhereRequestsGo() {
        String key = fake.createKey();
        try (FakeAwsKms other = FakeAwsKms.start("eu-west-1"); Kms toOther = FakeConnections.open(other)) {
            // the other fake does not know the key: the answer proves which endpoint was asked
            assertDenied(toOther.describe(key), Reason.NOT_FOUND);
            assertThat(other.count("DescribeKey")).isEqualTo(1);
            assertThat(fake.count("DescribeKey")).isZero();
        }
        assertThat(await(kms.describe(key)).keyId()).isEqualTo(key);
        assertThat(fake.count("DescribeKey")).isEqualTo(1);
    }

    @Test
    void oneKmsCallPerDekEachWayAndBlobsOfAwsSize() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        assertUnwraps(g);
        assertThat(fake.requests()).extracting(FakeAwsKms.Request::op).containsExactly("GenerateDataKey", "Decrypt");
        assertThat(g.edek()).hasSize(FakeAwsKms.blobSize(32)).hasSize(176);
        assertThat(g.kek().keyVersion()).isEmpty();
        System.out.println("EDEK (CiphertextBlob) for a 32-byte DEK: " + g.edek().length + " bytes; KEK reference: "
                + g.kek().keyId().length() + " bytes of key ARN, no version");
    }

    @Test
    void theFakesOtherOperationsAnswerWhatTheSdkExpects() {
        try (KmsClient sdk = KmsClient.builder().region(Region.EU_WEST_1).endpointOverride(fake.endpoint()).build()) {
            String first = sdk.createKey(b -> b.description("test")).keyMetadata().arn();
            String second = sdk.createKey(b -> b.description("test")).keyMetadata().arn();
            sdk.createAlias(b -> b.aliasName("alias/orders").targetKeyId(first));
            String alias = "arn:aws:kms:eu-west-1:111122223333:alias/orders";
            assertThat(await(kms.describe(alias)).keyId()).isEqualTo(first);
            sdk.updateAlias(b -> b.aliasName("alias/orders").targetKeyId(second));
            assertThat(await(kms.describe(alias)).keyId()).isEqualTo(second);

            SdkBytes secret = SdkBytes.fromUtf8String("not a data key");
            Map<String, String> context = Map.of("purpose", "test");
            SdkBytes blob = sdk.encrypt(b -> b.keyId(alias).plaintext(secret).encryptionContext(context)).ciphertextBlob();
            assertThat(sdk.decrypt(b -> b.ciphertextBlob(blob).encryptionContext(context)).plaintext()).isEqualTo(secret);
            assertThatThrownBy(() -> sdk.decrypt(b -> b.ciphertextBlob(blob))).isInstanceOf(InvalidCiphertextException.class);
            assertThat(sdk.getKeyRotationStatus(b -> b.keyId(second)).keyRotationEnabled()).isFalse();
        }
    }

    @Test
    void rotateOnDemandChangesTheCurrentVersionAndNewBlobsNameTheNewMaterial() {
        String key = fake.createKey();
        KeyInfo before = await(kms.describe(key));
        assertThat(before.currentVersion()).isEqualTo(fake.currentMaterial(key));
        assertThat(before.rotatable()).isTrue();
        GeneratedDek old = generate(key);
        KeyInfo after = await(kms.rotate(key));
        assertThat(fake.count("RotateKeyOnDemand")).isEqualTo(1);
        assertThat(after.currentVersion()).isNotEqualTo(before.currentVersion()).isEqualTo(fake.currentMaterial(key));
        GeneratedDek fresh = generate(key);
        assertThat(FakeAwsKms.materialOf(fresh.edek())).isEqualTo(after.currentVersion());
        assertThat(FakeAwsKms.materialOf(old.edek())).isEqualTo(before.currentVersion());
        assertUnwraps(old);
        assertUnwraps(fresh);
    }
}
