package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
class AwsKeyedClusterTest {
    private static final String KEY = "AWSE2EKEY";
    private static final String SECRET = "aws-e2e-test-secret-0123456789";
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    /** The SDK's default credential chain reads these system properties first, as a user could set them. */
    @BeforeAll
    static void credentials() {
        System.setProperty("aws.accessKeyId", FakeAwsKms.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", FakeAwsKms.SECRET_KEY);
    }

    @AfterAll
    static void noCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void anAwsKeyedClusterServesKcatStoresOnlyCiphertextLocksWhenTheKeyIsDisabledAndResumes() throws Exception {
        try (FakeAwsKms aws = FakeAwsKms.start("us-west-2")) {
            String keyArn = aws.createKey();
            ServerConfig.Builder builder = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(), "http-port", "0",
                    "bind", "127.0.0.1", "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms",
                    "aws-roles", "arn:aws:iam::111122223333:role/keyhold"),
                    Map.of("KEYHOLD_KMS_AWS_ENDPOINT", aws.endpoint().toString()), null);
            builder.kms(builder.build().kms());
            ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build());
            try (KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(KEY, SECRET)
                    .printBootstrapSecret(false).build())) {
                String url = server.url();
                String env = server.bootstrapEnvironmentId();
                JsonNode created = rest.send(url, "POST", "/byok/v1/keys", "{\"key\":{\"kind\":\"AwsKey\",\"key_arn\":\"" + keyArn + "\"}}", 201);
                assertThat(created.path("key").path("roles").get(0).asText()).isEqualTo("arn:aws:iam::111122223333:role/keyhold");
                String byok = created.get("id").asText();
                RestClient.await(() -> validation(url, byok).equals("VALID"), "key " + byok + " VALID", Duration.ofSeconds(60));
                assertThat(aws.count("DescribeKey")).as("the validator described the key at AWS").isPositive();

                String cluster = rest.send(url, "POST", "/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"aws-orders\",\"availability\":\"SINGLE_ZONE\","
                        + "\"cloud\":\"AWS\",\"region\":\"us-west-2\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},\"environment\":{\"id\":\""
                        + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}", 202).get("id").asText();
                String clusterPath = "/cmk/v2/clusters/" + cluster + "?environment=" + env;
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster " + cluster + " PROVISIONED", Duration.ofSeconds(90));
                String endpoint = rest.send(url, "GET", clusterPath, null, 200).path("spec").path("kafka_bootstrap_endpoint").asText();

                String canary = "aws-card-" + UUID.randomUUID();
                Kcat.produce(endpoint, "payments", List.of(canary + " #1", canary + " #2"));
                assertThat(Kcat.consume(endpoint, "payments", 2)).containsExactly(canary + " #1", canary + " #2");
                long generates = aws.count("GenerateDataKey");
                assertThat(generates).as("one data key for the topic, wrapped by AWS").isGreaterThanOrEqualTo(1);
                Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
                assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();

                // The customer disables the key in AWS: within a few health intervals the cluster locks.
                long disabledAt = System.nanoTime();
                aws.disable(keyArn);
                RestClient.await(() -> phase(url, clusterPath).equals("LOCKED"), "cluster LOCKED", HEALTH_INTERVAL.multipliedBy(10));
                Duration toLocked = Duration.ofNanos(System.nanoTime() - disabledAt);
                System.out.println("AWS key disabled -> cluster LOCKED in " + toLocked.toMillis() + " ms (health interval "
                        + HEALTH_INTERVAL.toMillis() + " ms)");
                assertThat(toLocked).isLessThan(HEALTH_INTERVAL.multipliedBy(3).plusSeconds(3));
                assertThat(Kcat.produceFails(endpoint, "payments", canary + " while locked")).isTrue();
                assertThat(Kcat.consume(endpoint, "payments", 1)).as("a locked cluster serves no records").isEmpty();

                // ... and enables it again: the cluster resumes, every acknowledged record reads back.
                aws.enable(keyArn);
                RestClient.await(() -> phase(url, clusterPath).equals("PROVISIONED"), "cluster PROVISIONED again", HEALTH_INTERVAL.multipliedBy(10));
                Kcat.produce(endpoint, "payments", List.of(canary + " #3"));
                assertThat(Kcat.consume(endpoint, "payments", 3)).containsExactly(canary + " #1", canary + " #2", canary + " #3");

                // The customer rotates the key in AWS: within a few health intervals new records get a DEK
                // wrapped under the new key material, and every record written before still reads.
                long before = aws.count("GenerateDataKey");
                String material = aws.currentMaterial(keyArn);
                aws.rotate(keyArn);
                assertThat(aws.currentMaterial(keyArn)).isNotEqualTo(material);
                Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis());
                Kcat.produce(endpoint, "payments", List.of(canary + " #4"));
                assertThat(aws.count("GenerateDataKey")).as("a new DEK after the rotation").isGreaterThan(before);
                assertThat(Kcat.consume(endpoint, "payments", 4))
                        .containsExactly(canary + " #1", canary + " #2", canary + " #3", canary + " #4");
                assertThat(OnDisk.plaintext(logDir, canary)).isEmpty();
            } finally {
                ((AutoCloseable) runtime).close();
            }
        }
    }

    private String validation(String url, String byok) throws Exception {
        return rest.send(url, "GET", "/byok/v1/keys/" + byok, null, 200).path("validation").path("phase").asText();
    }

    private String phase(String url, String clusterPath) throws Exception {
        return rest.send(url, "GET", clusterPath, null, 200).path("status").path("phase").asText();
    }
}
