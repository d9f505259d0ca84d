package io.keyhold.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real KRaft broker whose SSL keystore password, key password and SASL/PLAIN user password are
 * {@code ${securepass:...}} references written by `secret file encrypt`; a real client connects
 * over SASL_SSL, which works only if the broker decrypted all three.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrokerConfigProviderTest {
    static final String KEY_ENV = "KEYHOLD_IT_MASTER_KEY";
    static final String OTHER_KEY_ENV = "KEYHOLD_IT_OTHER_MASTER_KEY";
    static final String JAAS_KEY = "listener.name.sasl_ssl.plain.sasl.jaas.config";
    static final String PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    static final String STORE_PASSWORD = "keystore-pass-7f3a";
    static final String ALICE_PASSWORD = "alice-pass-91c2";

    @TempDir
    Path dir;
    Path keystore;
    Path certificate;
    int port;
    int controllerPort;

    @BeforeEach
    void keystoreAndPorts() throws Exception {
        // These tests need the master keys that surefire puts in the environment: fail, don't skip.
        assertThat(System.getenv(KEY_ENV)).as(KEY_ENV + " (set by the surefire configuration)").isNotBlank();
        assertThat(System.getenv(OTHER_KEY_ENV)).as(OTHER_KEY_ENV).isNotBlank().isNotEqualTo(System.getenv(KEY_ENV));
        keystore = dir.resolve("broker.p12");
        certificate = dir.resolve("broker.pem");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=IP:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
                "-file", certificate.toString());
        port = InJvmBroker.freePort();
        controllerPort = InJvmBroker.freePort();
    }

    @Test
    @SuppressWarnings("try") // the broker only has to run while the clients talk to it
    void brokerStartsWithEncryptedPasswordsAndClientsAuthenticate() throws Exception {
        Path serverProperties = encryptedServerProperties(KEY_ENV, System.getenv(KEY_ENV));
        String text = Files.readString(serverProperties);
        assertThat(text).doesNotContain(STORE_PASSWORD, ALICE_PASSWORD)
                .contains("config.providers.securepass.class = io.keyhold.secrets.SecurePassConfigProvider");

        try (InJvmBroker broker = InJvmBroker.start(serverProperties, dir.resolve("logs"));
             Admin admin = Admin.create(client(ALICE_PASSWORD))) {
            admin.createTopics(List.of(new NewTopic("secrets-it", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            assertThat(admin.describeCluster().nodes().get(60, TimeUnit.SECONDS)).hasSize(1);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(client(ALICE_PASSWORD),
                    new StringSerializer(), new StringSerializer())) {
                assertThat(producer.send(new ProducerRecord<>("secrets-it", "k", "v")).get(60, TimeUnit.SECONDS).offset()).isZero();
            }
            // The broker checks the password it decrypted: a wrong one is refused.
            Properties wrong = client("not-" + ALICE_PASSWORD);
            wrong.put("default.api.timeout.ms", "15000");
            wrong.put("request.timeout.ms", "15000");
            try (Admin intruder = Admin.create(wrong)) {
                assertThatThrownBy(() -> intruder.describeCluster().nodes().get(60, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(SaslAuthenticationException.class);
            }
        }
    }

    @Test
    void wrongMasterKeyStopsTheStartAndNamesTheKeys() throws Exception {
        // Encrypted under KEY_ENV's key, but the file points the broker at OTHER_KEY_ENV.
        Path serverProperties = encryptedServerProperties(OTHER_KEY_ENV, System.getenv(KEY_ENV));

        assertThatThrownBy(() -> InJvmBroker.start(serverProperties, dir.resolve("logs")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("failed to unwrap the data key: invalid master key or corrupted data key")
                .hasMessageContaining("server.properties/ssl.keystore.password")
                .hasMessageContaining("server.properties/" + JAAS_KEY + "/" + PLAIN_MODULE + "/user_alice")
                .hasMessageContaining(OTHER_KEY_ENV)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(STORE_PASSWORD, ALICE_PASSWORD,
                        System.getenv(KEY_ENV), System.getenv(OTHER_KEY_ENV)));
    }

    @Test
    void corruptedValueStopsTheStartAndNamesThatKey() throws Exception {
        Path serverProperties = encryptedServerProperties(KEY_ENV, System.getenv(KEY_ENV));
        Path secrets = dir.resolve("secrets.properties");
        String corrupted = Files.readString(secrets).replace("server.properties/ssl.key.password = ENC[AES/GCM/NoPadding,data:",
                "server.properties/ssl.key.password = ENC[AES/GCM/NoPadding,data:AAAA");
        assertThat(corrupted).isNotEqualTo(Files.readString(secrets));
        Files.writeString(secrets, corrupted);

        assertThatThrownBy(() -> InJvmBroker.loadConfig(serverProperties))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("failed to decrypt config \"server.properties/ssl.key.password\": corrupted data");
    }

    /**
     * Writes a plaintext server.properties, then encrypts its passwords with the CLI into a secrets
     * file whose master key comes from {@code envVar}; {@code masterKey} is the key encrypted under.
     */
    private Path encryptedServerProperties(String envVar, String masterKey) throws Exception {
        Path serverProperties = dir.resolve("server.properties");
        Path secrets = dir.resolve("secrets.properties");
        Files.writeString(serverProperties, String.join("\n",
                "# single-node KRaft for the securepass tests",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=SASL_SSL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=SASL_SSL://127.0.0.1:" + port,
                "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=SASL_SSL",
                "sasl.enabled.mechanisms=PLAIN",
                "sasl.mechanism.inter.broker.protocol=PLAIN",
                JAAS_KEY + "=" + PLAIN_MODULE + " required username=\"alice\" password=\"" + ALICE_PASSWORD
                        + "\" user_alice=\"" + ALICE_PASSWORD + "\";",
                "ssl.keystore.type=PKCS12",
                "ssl.keystore.location=" + keystore,
                "ssl.keystore.password=" + STORE_PASSWORD,
                "ssl.key.password=" + STORE_PASSWORD,
                "ssl.truststore.type=PEM",
                "ssl.truststore.location=" + certificate,
                "log.dirs=" + dir.resolve("logs"),
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                ""));
        // The file names the variable the master key is read from; the CLI and the broker both honour it.
        Files.writeString(secrets, "_metadata.symmetric_key.0.envvar = " + envVar + "\n");
        String jaasOption = JAAS_KEY + "/" + PLAIN_MODULE + "/";
        CliRun run = CliRun.run(Map.of(envVar, masterKey), "file", "encrypt",
                "--config-file", serverProperties.toString(),
                "--local-secrets-file", secrets.toString(), "--remote-secrets-file", secrets.toString(),
                "--config", "ssl.keystore.password,ssl.key.password," + jaasOption + "password," + jaasOption + "user_alice");
        assertThat(run.exitCode()).as(run.err()).isZero();
        return serverProperties;
    }

    private Properties client(String password) {
        Properties p = new Properties();
        p.put("bootstrap.servers", "127.0.0.1:" + port);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", PLAIN_MODULE + " required username=\"alice\" password=\"" + password + "\";");
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", certificate.toString());
        p.put("max.block.ms", Duration.ofSeconds(60).toMillis());
        return p;
    }

    private static void keytool(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
