package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SASL/SCRAM: the broker's own credential in its JAAS config is a {@code ${securepass:...}}
 * reference. The broker uses it on its inter-broker listener, which a transaction commit exercises
 * (the coordinator sends the commit markers to the partition leader, itself, as "admin"). A control
 * run with a wrong plaintext password shows the commit really depends on that credential.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ScramBrokerConfigProviderTest {
    static final String KEY_ENV = BrokerConfigProviderTest.KEY_ENV;
    static final String SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    static final String JAAS_KEY = "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config";
    static final String ADMIN_PASSWORD = "admin-pass-5d1e";
    static final String ALICE_PASSWORD = "alice-pass-0b77";
    static final List<String> CREDENTIALS = List.of(
            "SCRAM-SHA-256=[name=admin,password=" + ADMIN_PASSWORD + "]",
            "SCRAM-SHA-256=[name=alice,password=" + ALICE_PASSWORD + "]");

    @TempDir
    Path dir;

    @Test
    void transactionCommitsWithTheEncryptedBrokerCredential() throws Exception {
        int port = InJvmBroker.freePort();
        Path serverProperties = serverProperties(port, ADMIN_PASSWORD);
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(secrets, "_metadata.symmetric_key.0.envvar = " + KEY_ENV + "\n");
        CliRun run = CliRun.run(Map.of(KEY_ENV, System.getenv(KEY_ENV)), "file", "encrypt",
                "--config-file", serverProperties.toString(), "--local-secrets-file", secrets.toString(),
                "--remote-secrets-file", secrets.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.readString(serverProperties)).doesNotContain(ADMIN_PASSWORD)
                .contains("password=${securepass:" + secrets + ":server.properties/" + JAAS_KEY + "/" + SCRAM_MODULE + "/password}");

        try (InJvmBroker broker = InJvmBroker.start(serverProperties, dir.resolve("logs"), CREDENTIALS)) {
            commitOneRecord(port, 60_000);
        }
    }

    @Test
    void controlAWrongBrokerCredentialMakesTheCommitFail() throws Exception {
        int port = InJvmBroker.freePort();
        Path serverProperties = serverProperties(port, "not-" + ADMIN_PASSWORD);

        try (InJvmBroker broker = InJvmBroker.start(serverProperties, dir.resolve("logs"), CREDENTIALS)) {
            // Alice's login is the same as in the test above; what differs, and fails, is the
            // broker's own connection to itself as admin (AddPartitionsToTxn), reported to the client.
            assertThatThrownBy(() -> commitOneRecord(port, 20_000))
                    .hasStackTraceContaining("SaslAuthenticationException");
        }
    }

    private static void commitOneRecord(int port, int timeoutMs) {
        Properties p = new Properties();
        p.put("bootstrap.servers", "127.0.0.1:" + port);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "SCRAM-SHA-256");
        p.put("sasl.jaas.config", SCRAM_MODULE + " required username=\"alice\" password=\"" + ALICE_PASSWORD + "\";");
        p.put("transactional.id", "securepass-it");
        p.put("max.block.ms", timeoutMs);
        p.put("transaction.timeout.ms", 60_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("scram-it", "k", "v"));
            producer.commitTransaction();
        }
    }

    private Path serverProperties(int port, String adminPassword) throws Exception {
        int controllerPort = InJvmBroker.freePort();
        Path file = dir.resolve("server.properties");
        Files.writeString(file, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=SASL_PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=SASL_PLAINTEXT://127.0.0.1:" + port,
                "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=SASL_PLAINTEXT",
                "sasl.enabled.mechanisms=SCRAM-SHA-256",
                "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256",
                JAAS_KEY + "=" + SCRAM_MODULE + " required username=\"admin\" password=\"" + adminPassword + "\";",
                "log.dirs=" + dir.resolve("logs"),
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=1",
                "num.partitions=1",
                "auto.create.topics.enable=true",
                "group.initial.rebalance.delay.ms=0",
                ""));
        return file;
    }
}
