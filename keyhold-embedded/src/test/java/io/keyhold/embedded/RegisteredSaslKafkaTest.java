package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.embedded.internal.EmbeddedBroker;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registered Kafka that wants SASL from everyone, with ACLs: the proxy's own key-topic client
 * logs in as the principal the registration's {@code cluster-keys-client} names (its password from
 * the environment), and only that principal may touch {@code __keyhold_keys}; a client's SASL
 * passes through the proxy as before, so the broker authorises each client as itself.
 */
class RegisteredSaslKafkaTest {
    private static final String PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String KEY = "SASLREGKEY";
    private static final String SECRET = "sasl-registered-test-secret-0123";

    @TempDir
    Path tmp;

    private final RestClient rest = new RestClient(KEY, SECRET);

    @Test
    void theKeyTopicIsWrittenByTheConfiguredPrincipalAndClientsAuthenticateThroughTheProxy() throws Exception {
        Map<String, String> brokerSasl = Map.of(
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN + " required username=\"admin\" password=\"admin-pw\""
                        + " user_admin=\"admin-pw\" user_alice=\"alice-pw\" user_keyhold=\"keyhold-pw\";",
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users", "User:admin;User:ANONYMOUS"); // ANONYMOUS: the controller's own plaintext listener
        Path brokerDir = tmp.resolve("existing-kafka");
        try (EmbeddedBroker broker = EmbeddedBroker.start(brokerDir, Uuid.randomUuid().toString(), freePort(), freePort(),
                "SASL_PLAINTEXT", brokerSasl)) {
            grant(broker.bootstrapServers());
            Path yaml = tmp.resolve("keyhold.yaml");
            Files.writeString(yaml, """
                    kafka-clusters:
                      - name: sasl-kafka
                        bootstrap-servers: [%s]
                        cloud: LOCAL
                        region: local
                        max-node-id: 1
                        cluster-keys-client:
                          security.protocol: SASL_PLAINTEXT
                          sasl.mechanism: PLAIN
                          sasl.jaas.config: '%s required username="keyhold" password="${KEYHOLD_TEST_KEYS_PASSWORD}";'
                    """.formatted(broker.bootstrapServers(), PLAIN));
            assertThat(Files.readString(yaml)).doesNotContain("keyhold-pw");
            try (RunningServer s = start(yaml)) {
                String env = s.server().bootstrapEnvironmentId();
                String cluster = rest.createCluster(s.url(), env, "sasl", rest.localKey(s.url(), "sasl-key"));
                String endpoint = rest.awaitProvisioned(s.url(), RestClient.clusterPath(cluster, env));

                String value = "sasl-registered-" + UUID.randomUUID();
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(client(endpoint, "alice", "alice-pw"))) {
                    producer.send(new ProducerRecord<>("payments", value)).get(30, TimeUnit.SECONDS);
                }
                assertThat(consume(endpoint, "alice", "alice-pw", "payments")).containsExactly(value);
                assertThat(EmbeddedClustersTest.filesContaining(brokerDir, value)).as("plaintext on the broker's disk").isEmpty();

                // The key topic exists and holds the cluster's key, written by the keyhold principal: alice may not read it.
                assertThat(StoredEnvelopes.clusterKeys(brokerDir, cluster)).isNotEmpty();
                Properties direct = client(broker.bootstrapServers(), "alice", "alice-pw");
                direct.put("enable.auto.commit", "false");
                try (KafkaConsumer<String, String> alice = new KafkaConsumer<>(direct)) {
                    TopicPartition keys = new TopicPartition("__keyhold_keys", 0);
                    alice.assign(List.of(keys));
                    alice.seekToBeginning(List.of(keys));
                    assertThatThrownBy(() -> alice.poll(Duration.ofSeconds(10))).isInstanceOf(TopicAuthorizationException.class);
                }
            }
        }
    }

    /** ACLs as an operator would set them: alice her topic and groups, keyhold only the key topic. */
    private static void grant(String bootstrap) throws Exception {
        Properties admin = client(bootstrap, "admin", "admin-pw");
        try (Admin a = Admin.create(admin)) {
            a.createAcls(List.of(
                    allow("User:alice", new ResourcePattern(ResourceType.TOPIC, "payments", PatternType.LITERAL)),
                    allow("User:alice", new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL)),
                    allow("User:keyhold", new ResourcePattern(ResourceType.TOPIC, "__keyhold_keys", PatternType.LITERAL))))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static AclBinding allow(String principal, ResourcePattern resource) {
        return new AclBinding(resource, new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW));
    }

    private static List<String> consume(String bootstrap, String user, String password, String topic) {
        Properties p = client(bootstrap, user, password);
        p.put("group.id", "g-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    got.add(r.value());
                }
            }
        }
        return got;
    }

    private static Properties client(String bootstrap, String user, String password) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", PLAIN + " required username=\"" + user + "\" password=\"" + password + "\";");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        p.put("delivery.timeout.ms", 30_000);
        p.put("request.timeout.ms", 10_000);
        p.put("max.block.ms", 30_000);
        return p;
    }

    private RunningServer start(Path yaml) throws Exception {
        return RunningServer.start(KEY, SECRET, tmp.resolve("data"), RunningServer.localKmsPassphrase(tmp, "sasl registered test passphrase"),
                Map.of("KEYHOLD_TEST_KEYS_PASSWORD", "keyhold-pw"), yaml, RunningServer.freePortRange());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
