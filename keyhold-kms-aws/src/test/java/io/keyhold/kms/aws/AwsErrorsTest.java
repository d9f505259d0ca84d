package io.keyhold.kms.aws;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.assertUnavailable;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How AWS's answers map to denied (lock) and unavailable (retry), each with its reason. */
class AwsErrorsTest extends FakeAwsTestBase {
    private static final Duration WITHIN = Duration.ofSeconds(20);

    @Test
    void throttlingIsUnavailableThrottled() {
        String key = fake.createKey();
        fake.misbehave(FakeAwsKms.Mode.THROTTLING);
        KmsUnavailableException e = assertUnavailable(kms.generate(key, ORDERS), WITHIN);
        assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.THROTTLED);
        assertThat(e).hasMessageContaining("GenerateDataKey").hasMessageContaining(key);
    }

    @Test
    void internalErrorsAndServiceUnavailableAreUnavailableInternal() {
        String key = fake.createKey();
        fake.misbehave(FakeAwsKms.Mode.INTERNAL_500);
        assertThat(assertUnavailable(kms.describe(key), WITHIN).reason()).isEqualTo(KmsUnavailableException.Reason.INTERNAL);
        fake.misbehave(FakeAwsKms.Mode.ERROR_503);
        assertThat(assertUnavailable(kms.describe(key), WITHIN).reason())
                .isIn(KmsUnavailableException.Reason.INTERNAL, KmsUnavailableException.Reason.THROTTLED);
    }

    @Test
    void anUnreachableEndpointIsUnavailableNetwork() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        try (Kms nowhere = KmsProviders.require("aws").open(KmsConfig.of(Map.of("endpoint", "http://127.0.0.1:" + port)))) {
            KmsUnavailableException e = assertUnavailable(nowhere.describe(fake.createKey()), WITHIN);
            assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.NETWORK);
        }
    }

    @Test
    void aHangingKmsIsATimeoutOfTheSdkToo() {
        String key = fake.createKey();
        fake.misbehave(FakeAwsKms.Mode.HANG); // no ResilientKms here: the SDK's own attempt timeout answers
        KmsUnavailableException e = assertUnavailable(kms.describe(key), WITHIN);
        assertThat(e.reason()).isEqualTo(KmsUnavailableException.Reason.TIMEOUT);
    }

    @Test
    void pendingDeletionIsToldApartFromDisabledThroughTheKeysState() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.scheduleDeletion(key);
        assertThat(await(kms.describe(key)).state()).isEqualTo(KeyState.PENDING_DELETION);
        assertThat(await(kms.describe(key)).deletionDate()).isNotNull();
        long describes = fake.count("DescribeKey");
        assertThat(assertDenied(kms.unwrap(g.kek(), g.edek(), ORDERS), Reason.PENDING_DELETION))
                .hasMessageContaining("KMSInvalidStateException");
        assertThat(fake.count("DescribeKey")).as("one DescribeKey on the error path").isEqualTo(describes + 1);
    }

    @Test
    void aDestroyedKeyIsNotFound() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.destroy(key);
        assertDenied(kms.describe(key), Reason.NOT_FOUND);
        assertDenied(kms.unwrap(g.kek(), g.edek(), ORDERS), Reason.NOT_FOUND);
    }

    @Test
    void aKeyThatCannotWrapIsInvalidKey() {
        String hmac = fake.createKey("HMAC_256", "GENERATE_VERIFY_MAC");
        assertDenied(kms.generate(hmac, ORDERS), Reason.INVALID_KEY);
        assertThat(await(kms.describe(hmac)).rotatable()).isFalse();
        assertThat(failure(kms.rotate(hmac))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void referencesThatAreNotArnsAreBadArguments() {
        for (String ref : new String[] {"alias/orders", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:s3:::bucket"}) {
            assertThat(failure(kms.generate(ref, ORDERS))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ARN");
        }
        assertThat(fake.requests()).isEmpty();
    }
}
