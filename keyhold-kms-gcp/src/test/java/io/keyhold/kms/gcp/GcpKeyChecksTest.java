package io.keyhold.kms.gcp;

import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the key validator shows for keys that cannot serve, each naming the fix. */
class GcpKeyChecksTest extends FakeGcpTestBase {

    @Test
    void aSymmetricKeyInARegionWithAnEnabledPrimaryHasNoProblems() {
        assertThat(await(kms.keyProblems(fake.createKey()))).isEmpty();
    }

    @Test
    void anotherPurposeOrAlgorithmIsRefusedNamingWhatIsNeeded() {
        String signing = fake.createKey(CryptoKeyPurpose.ASYMMETRIC_SIGN, CryptoKeyVersionAlgorithm.EC_SIGN_P256_SHA256, true);
        assertThat(await(kms.keyProblems(signing))).singleElement().asString()
                .contains("purpose is ASYMMETRIC_SIGN").contains("ENCRYPT_DECRYPT").contains("GOOGLE_SYMMETRIC_ENCRYPTION")
                .contains("gcloud kms keys create");
        String raw = fake.createKey(CryptoKeyPurpose.RAW_ENCRYPT_DECRYPT, CryptoKeyVersionAlgorithm.AES_256_GCM, true);
        assertThat(await(kms.keyProblems(raw))).singleElement().asString().contains("purpose is RAW_ENCRYPT_DECRYPT");
    }

    @Test
    void aKeyWithoutPrimaryOrWithADisabledOrScheduledPrimaryNamesTheGcloudCommand() {
        String empty = fake.createKey(CryptoKeyPurpose.ENCRYPT_DECRYPT, CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION, false);
        assertThat(await(kms.keyProblems(empty))).singleElement().asString().contains("no primary version")
                .contains("gcloud kms keys versions create --primary");
        String key = fake.createKey();
        fake.disable(key);
        assertThat(await(kms.keyProblems(key))).singleElement().asString().contains("primary version 1 is disabled")
                .contains("gcloud kms keys versions enable 1 --key ");
        fake.scheduleDeletion(key);
        assertThat(await(kms.keyProblems(key))).singleElement().asString().contains("scheduled for destruction")
                .contains("gcloud kms keys versions restore 1");
    }

    @Test
    void multiRegionAndGlobalKeyRingsAreRefused() {
        for (String location : List.of("global", "us", "europe", "asia", "nam4", "eur5")) {
            assertThat(await(kms.keyProblems(fake.createKeyIn(location)))).as(location).singleElement().asString()
                    .contains("location '" + location + "'").contains("Keyhold needs a key ring in the cluster's region");
        }
        for (String region : List.of("us-central1", "europe-west4", "northamerica-northeast1", "me-central2", "asia-southeast1")) {
            assertThat(await(kms.keyProblems(fake.createKeyIn(region)))).as(region).isEmpty();
            assertThat(await(kms.describe(fake.createKeyIn(region))).region()).isEqualTo(region);
        }
    }
}
