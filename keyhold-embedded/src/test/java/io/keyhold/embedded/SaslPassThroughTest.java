package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.embedded.internal.EmbeddedBroker;
import io.keyhold.embedded.internal.EndpointProbe;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SASL/PLAIN between client and broker passes through the proxy untouched: the broker authenticates. */
class SaslPassThroughTest {
    private static final String PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule";

    @TempDir
    Path dir;

    @Test
    void brokerAuthenticatesClientsThroughTheProxy() throws Exception {
        int brokerPort = freePort();
        int controllerPort = freePort();
        Map<String, String> sasl = Map.of(
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN
                        + " required username=\"admin\" password=\"admin-pw\" user_admin=\"admin-pw\" user_alice=\"alice-pw\";");
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dir.resolve("kms"), "sasl test passphrase".toCharArray()));
             EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("kafka"), Uuid.randomUuid().toString(), brokerPort,
                     controllerPort, "SASL_PLAINTEXT", sasl)) {
            kms.create("sasl-key");
            try (KeyholdProxy proxy = KeyholdProxy.start(ProxyConfig.builder("sasl", List.of(broker.bootstrapServers()), "sasl-key")
                    .build(), kms)) {
                String value = "sasl-" + UUID.randomUUID();
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(client(proxy.bootstrapServers(), "alice-pw"))) {
                    producer.send(new ProducerRecord<>("sasl-topic", value)).get();
                }
                Properties c = client(proxy.bootstrapServers(), "alice-pw");
                c.put("group.id", "g");
                c.put("auto.offset.reset", "earliest");
                List<String> got = new ArrayList<>();
                try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
                    consumer.subscribe(List.of("sasl-topic"));
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (got.isEmpty() && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                            got.add(r.value());
                        }
                    }
                }
                assertThat(got).containsExactly(value);

                // The readiness probe has no credentials: a broker that wants SASL first still answers its ApiVersions.
                assertThat(new EndpointProbe(1_000).serves(proxy.bootstrapAddress())).isTrue();

                try (KafkaProducer<String, String> wrong = new KafkaProducer<>(client(proxy.bootstrapServers(), "wrong-pw"))) {
                    assertThatThrownBy(() -> wrong.send(new ProducerRecord<>("sasl-topic", "x")).get())
                            .hasStackTraceContaining("SaslAuthenticationException");
                }
            }
        }
    }

    private static Properties client(String bootstrap, String password) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "PLAIN");
        p.put("sasl.jaas.config", PLAIN + " required username=\"alice\" password=\"" + password + "\";");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        p.put("delivery.timeout.ms", 20_000);
        p.put("request.timeout.ms", 10_000);
        p.put("max.block.ms", 20_000);
        return p;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
