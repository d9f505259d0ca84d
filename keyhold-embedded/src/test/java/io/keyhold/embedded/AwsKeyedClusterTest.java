package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.aws.FakeCredentials;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bring your own AWS KMS key, end to end: {@code keyhold server} with the real AWS SDK client
 * talking to a wire-level fake of KMS's JSON 1.1 protocol on 127.0.0.1 (SigV4 checked, key states,
 * encryption-context binding; see docs/kms/aws.md for what the fake models), a cluster in AWS
 * us-west-2 keyed by a customer's KMS key, a non-Java client (kcat) producing and consuming
 * through it, nothing but ciphertext on the broker's disk, and the cluster locking when the
 * customer disables the key at the KMS and resuming, every acknowledged record intact, when they
 * enable it again; a rotation in AWS gives new records a new DEK while old records still read.
 */
@ExtendWith(FakeCredentials.class) // the SDK's default chain reads the fake's credentials from system properties
class AwsKeyedClusterTest {
    private static final String KEY = "AWSE2EKEY";
    private static final String SECRET = "aws-e2e-test-secret-0123456789";

    @TempDir
    Path dataDir;

    @Test
    void anAwsKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheKeyIsDisabledAndResumes() throws Exception {
        try (FakeAwsKms aws = FakeAwsKms.start("us-west-2")) {
            String keyArn = aws.createKey();
            try (KeyedClusterScenario scenario = KeyedClusterScenario.start(KEY, SECRET, dataDir,
                    Map.of("aws-roles", "arn:aws:iam::111122223333:role/keyhold"),
                    Map.of("KEYHOLD_KMS_AWS_ENDPOINT", aws.endpoint().toString()), null)) {
                JsonNode created = scenario.registerKey("{\"kind\":\"AwsKey\",\"key_arn\":\"" + keyArn + "\"}");
                assertThat(created.path("key").path("roles").get(0).asText()).isEqualTo("arn:aws:iam::111122223333:role/keyhold");
                assertThat(aws.count("DescribeKey")).as("the validator described the key at AWS").isPositive();

                scenario.createCluster("aws", "AWS", "us-west-2", created.get("id").asText());
                scenario.writeAndReadAll(2);
                assertThat(aws.count("GenerateDataKey")).as("one data key for the topic, wrapped by AWS").isGreaterThanOrEqualTo(1);
                scenario.assertNoPlaintext();

                // The customer disables the key in AWS: within a few health intervals the cluster locks ...
                Duration toLocked = scenario.lock("AWS key disabled", () -> aws.disable(keyArn), HEALTH_INTERVAL.multipliedBy(10));
                assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(3));
                // ... and enables it again: the cluster resumes, every acknowledged record reads back.
                scenario.resume(() -> aws.enable(keyArn), HEALTH_INTERVAL.multipliedBy(10));

                // The customer rotates the key in AWS: within a few health intervals new records get a DEK
                // wrapped under the new key material, and every record written before still reads.
                long before = aws.count("GenerateDataKey");
                String material = aws.currentMaterial(keyArn);
                aws.rotate(keyArn);
                assertThat(aws.currentMaterial(keyArn)).isNotEqualTo(material);
                scenario.writeAfterRotation();
                assertThat(aws.count("GenerateDataKey")).as("a new DEK after the rotation").isGreaterThan(before);
                scenario.readsAll();
                scenario.assertNoPlaintext();
            }
        }
    }
}
