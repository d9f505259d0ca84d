package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.kms.aws.FakeCredentials;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online re-key onto a cloud KMS key, end to end: {@code keyhold server} with the real AWS SDK client
 * against the wire-level fake of AWS KMS on 127.0.0.1, an embedded cluster in us-west-2 on a
 * customer's AWS key, kcat producing and consuming through it. The cluster moves to a second AWS key
 * of its region (the cluster keys are re-wrapped with AWS {@code Encrypt}); a key of another region
 * is refused; the first key is then scheduled for deletion and destroyed at AWS, everything restarts,
 * and every record written before and after the re-key reads back.
 */
@ExtendWith(FakeCredentials.class) // the SDK's default chain reads the fake's credentials from system properties
class AwsOnlineRekeyTest {
    private static final String KEY = "AWSREKEYKEY";
    private static final String SECRET = "aws-rekey-test-secret-0123456789";

    @TempDir
    Path dataDir;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void aClusterMovesToAnotherAwsKeyAndReadsEverythingAfterTheFirstKeyIsDestroyed() throws Exception {
        try (FakeAwsKms aws = FakeAwsKms.start("us-west-2")) {
            String firstArn = aws.createKey();
            String secondArn = aws.createKey();
            String elsewhereArn = aws.createKeyIn("us-east-1");
            Map<String, String> ports = RunningServer.freePortRange();
            String canary = "aws-rekey-" + UUID.randomUUID();
            List<String> written = new ArrayList<>();
            String clusterPath;
            try (RunningServer s = start(aws, ports)) {
                String env = s.server().bootstrapEnvironmentId();
                String first = awsKey(s, firstArn);
                String second = awsKey(s, secondArn);
                String elsewhere = awsKey(s, elsewhereArn);
                String cluster = rest.createCluster(s.url(), env, "aws-rekey", "AWS", "us-west-2", first);
                clusterPath = RestClient.clusterPath(cluster, env);
                String endpoint = rest.awaitProvisioned(s.url(), clusterPath);
                produce(endpoint, written, canary + " before #", 3);

                // The key rules of a create apply to the new key: another region is refused, nothing changes.
                String refused = rest.send(s.url(), "PATCH", "/cmk/v2/clusters/" + cluster, patchByok(env, elsewhere), 422).toString();
                assertThat(refused).contains("must be in the cluster's region");
                assertThat(byokOf(s, clusterPath)).isEqualTo(first);

                long encrypts = aws.count("Encrypt");
                rest.send(s.url(), "PATCH", "/cmk/v2/clusters/" + cluster, patchByok(env, second), 200);
                assertThat(byokOf(s, clusterPath)).isEqualTo(second);
                assertThat(aws.count("Encrypt")).as("cluster keys re-wrapped by AWS Encrypt under the new key").isGreaterThan(encrypts);
                Path logDir = dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
                assertThat(StoredEnvelopes.clusterKeys(logDir, cluster).values()).isNotEmpty()
                        .allSatisfy(w -> assertThat(w.kek().keyId()).isEqualTo(secondArn));
                produce(endpoint, written, canary + " after #", 3);
                assertThat(Kcat.consume(endpoint, "payments", written.size())).containsExactlyElementsOf(written);
                assertThat(OnDisk.plaintext(logDir, canary)).as("plaintext on the broker's disk").isEmpty();

                // The customer retires the first key at AWS for good: the cluster keeps serving.
                aws.scheduleDeletion(firstArn);
                aws.destroy(firstArn);
                Thread.sleep(RunningServer.HEALTH_INTERVAL.multipliedBy(4).toMillis());
                assertThat(phase(s, clusterPath)).isEqualTo("PROVISIONED");
            }
            // Everything restarts: the cluster keys are read again, under the second key only.
            try (RunningServer s = start(aws, ports)) {
                String endpoint = rest.awaitProvisioned(s.url(), clusterPath);
                // the restarted broker may take a moment to lead its partitions again
                RestClient.await(() -> Kcat.consume(endpoint, "payments", written.size()).size() == written.size(),
                        "every record through the restarted cluster", Duration.ofSeconds(60));
                assertThat(Kcat.consume(endpoint, "payments", written.size())).containsExactlyElementsOf(written);
            }
        }
    }

    private RunningServer start(FakeAwsKms aws, Map<String, String> ports) throws Exception {
        return RunningServer.start(KEY, SECRET, dataDir, Map.of("aws-roles", "arn:aws:iam::111122223333:role/keyhold"),
                Map.of("KEYHOLD_KMS_AWS_ENDPOINT", aws.endpoint().toString()), null, ports);
    }

    private String awsKey(RunningServer s, String arn) throws Exception {
        return rest.registerKey(s.url(), "{\"kind\":\"AwsKey\",\"key_arn\":\"" + arn + "\"}").get("id").asText();
    }

    private static void produce(String endpoint, List<String> written, String prefix, int n) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            lines.add(prefix + i);
        }
        Kcat.produce(endpoint, "payments", lines);
        written.addAll(lines);
    }

    private static String patchByok(String env, String byok) {
        return "{\"spec\":{\"environment\":{\"id\":\"" + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}";
    }

    private String byokOf(RunningServer s, String clusterPath) throws Exception {
        return rest.send(s.url(), "GET", clusterPath, null, 200).path("spec").path("byok").path("id").asText();
    }

    private String phase(RunningServer s, String clusterPath) throws Exception {
        return rest.phase(s.url(), clusterPath);
    }
}
