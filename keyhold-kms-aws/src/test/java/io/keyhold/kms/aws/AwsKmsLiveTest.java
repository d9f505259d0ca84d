package io.keyhold.kms.aws;

import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.testkit.KmsAssertions;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite against real AWS KMS: only in the {@code aws-live} Maven profile, with AWS
 * credentials in the default chain and {@code KEYHOLD_AWS_LIVE_KEY_ARN} set (see docs/kms/aws.md).
 * It creates its own keys in that key's region and schedules them for deletion; the given key is
 * only used, never changed. Access denial and outages cannot be caused on real AWS from here, so
 * only the deletion capability is declared; {@link AwsAdminOverTheWireTest} runs this admin with all
 * of them against the fake.
 */
class AwsKmsLiveTest extends KmsConformanceSuite implements DeletionConformance {
    private static final String KEY_ENV = "KEYHOLD_AWS_LIVE_KEY_ARN";
    private static LiveAwsAdmin admin;

    @BeforeAll
    static void startAdmin() {
        String key = System.getenv(KEY_ENV);
        if (key == null || key.isBlank()) {
            throw new IllegalStateException("the aws-live profile needs " + KEY_ENV + " (a symmetric key ARN) and AWS credentials");
        }
        admin = new LiveAwsAdmin(key);
    }

    @AfterAll
    static void scheduleKeysForDeletion() {
        if (admin != null) {
            admin.close();
        }
    }

    @Override
    protected Kms connect() {
        String endpoint = System.getenv("KEYHOLD_KMS_AWS_ENDPOINT");
        return KmsProviders.require("aws").open(KmsConfig.of(endpoint == null ? Map.of() : Map.of("endpoint", endpoint)));
    }

    @Override
    public LiveAwsAdmin admin() {
        return admin;
    }

    @Override
    protected boolean kekRefCarriesKeyVersion() {
        return false;
    }

    @Test
    void theGivenKeyWrapsAndUnwrapsAndIsMeasured() {
        String key = System.getenv(KEY_ENV);
        assertThat(await(kms().describe(key)).state()).isEqualTo(KeyState.ENABLED);
        EncryptionContext context = EncryptionContext.forTopic("live-test", "orders");
        GeneratedDek g = await(kms().generate(key, context));
        try (DataKey back = await(kms().unwrap(g.kek(), g.edek(), context))) {
            assertThat(KmsAssertions.keyBytes(back)).isEqualTo(KmsAssertions.keyBytes(g.dek()));
        }
        System.out.println("real AWS CiphertextBlob for a 32-byte DEK: " + g.edek().length + " bytes");
    }
}
