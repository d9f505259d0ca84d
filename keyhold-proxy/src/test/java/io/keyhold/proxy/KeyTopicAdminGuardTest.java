package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Clients cannot delete, truncate, reconfigure or repartition Keyhold's key topic through the proxy
 * (losing it would lose every record of the cluster), while the same admin requests on their own
 * topics work as before. Real broker, the real Kafka Admin client through the proxy, and every
 * version of each guarded request spoken by hand.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeyTopicAdminGuardTest {
    private static final String KEY_TOPIC = "__keyhold_keys";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private KafkaTestCluster kafka;

    @BeforeAll
    void start() {
        kafka = KafkaTestCluster.start(1);
    }

    @AfterAll
    void stop() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    private KeyholdProxy proxy(TestKms kms) {
        return KeyholdProxy.start(ProxyConfig.builder("c-admin", List.of(kafka.bootstrapServers()), "kek-admin")
                .clusterKeys(ProxyConfig.ClusterKeys.DEFAULT).build(), kms);
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of("bootstrap.servers", bootstrap, "default.api.timeout.ms", (int) WAIT.toMillis()));
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f) throws Exception {
        return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void refusedForTheKeyTopic(org.apache.kafka.common.KafkaFuture<?> f) {
        assertThatThrownBy(() -> get(f)).isInstanceOf(ExecutionException.class).cause().isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void adminRequestsNamingTheKeyTopicAreRefusedWholeAndEverythingStillReads() throws Exception {
        TestKms kms = new TestKms();
        kafka.createTopic("adm-data", 1, Map.of());
        kafka.createTopic("adm-bystander", 1, Map.of());
        try (KeyholdProxy p = proxy(kms); Admin admin = admin(p.bootstrapServers())) {
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(p.bootstrapServers(), Map.of())) {
                for (int i = 0; i < 10; i++) { // the key topic exists from the first record on
                    producer.send(new ProducerRecord<>("adm-data", utf8("k" + i), utf8("value " + i))).get();
                }
            }
            TopicPartition keys = new TopicPartition(KEY_TOPIC, 0);
            ConfigResource keyTopic = new ConfigResource(ConfigResource.Type.TOPIC, KEY_TOPIC);
            refusedForTheKeyTopic(admin.deleteTopics(List.of(KEY_TOPIC)).all());
            refusedForTheKeyTopic(admin.deleteRecords(Map.of(keys, RecordsToDelete.beforeOffset(1))).all());
            refusedForTheKeyTopic(admin.incrementalAlterConfigs(Map.of(keyTopic, List.of(
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("retention.ms", "1"), AlterConfigOp.OpType.SET)))).all());
            refusedForTheKeyTopic(admin.createPartitions(Map.of(KEY_TOPIC, NewPartitions.increaseTo(4))).all());
            assertThatThrownBy(() -> get(admin.createPartitions(Map.of(KEY_TOPIC, NewPartitions.increaseTo(2))).all()))
                    .cause().hasMessageContaining("Keyhold's key topic"); // where the client keeps the message, it says why
            refusedForTheKeyTopic(admin.createTopics(List.of(new NewTopic(KEY_TOPIC, 1, (short) 1))).all());

            // Named together with another topic: nothing in the request is done, that topic stays.
            var both = admin.deleteTopics(List.of("adm-bystander", KEY_TOPIC)).topicNameValues();
            refusedForTheKeyTopic(both.get(KEY_TOPIC));
            assertThatThrownBy(() -> get(both.get("adm-bystander"))).cause().isInstanceOf(TopicAuthorizationException.class);
            assertThat(get(admin.listTopics().names())).contains("adm-bystander", KEY_TOPIC);

            // By id: the proxy learnt the key topic's id from the Metadata that described it.
            TopicDescription described = get(admin.describeTopics(List.of(KEY_TOPIC)).allTopicNames()).get(KEY_TOPIC);
            refusedForTheKeyTopic(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(described.topicId()))).all());
            assertThat(p.metrics().keyTopicRequestsRefused()).isEqualTo(8);

            // The clients' own topics: the same requests go through.
            ConfigResource data = new ConfigResource(ConfigResource.Type.TOPIC, "adm-data");
            get(admin.incrementalAlterConfigs(Map.of(data, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "86400000"), AlterConfigOp.OpType.SET)))).all());
            get(admin.deleteRecords(Map.of(new TopicPartition("adm-data", 0), RecordsToDelete.beforeOffset(2))).all());
            get(admin.createPartitions(Map.of("adm-bystander", NewPartitions.increaseTo(2))).all());
            get(admin.deleteTopics(List.of("adm-bystander")).all());
        }

        // At the broker: the key topic is as the proxy made it, and a new proxy reads every record left.
        try (Admin direct = admin(kafka.bootstrapServers())) {
            TopicDescription d = get(direct.describeTopics(List.of(KEY_TOPIC)).allTopicNames()).get(KEY_TOPIC);
            assertThat(d.partitions()).hasSize(1);
            ConfigResource keyTopic = new ConfigResource(ConfigResource.Type.TOPIC, KEY_TOPIC);
            var config = get(direct.describeConfigs(List.of(keyTopic)).all()).get(keyTopic);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(config.get("retention.ms").value()).isEqualTo("-1");
            assertThat(get(direct.listOffsets(Map.of(new TopicPartition(KEY_TOPIC, 0),
                    org.apache.kafka.clients.admin.OffsetSpec.earliest())).all()).values().iterator().next().offset()).isZero();
        }
        try (KeyholdProxy fresh = proxy(kms);
             KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(fresh.bootstrapServers(), Map.of())) {
            consumer.subscribe(List.of("adm-data"));
            assertThat(Clients.poll(consumer, 8, Duration.ofSeconds(60))).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("value 2", "value 3", "value 4", "value 5", "value 6", "value 7", "value 8", "value 9");
        }
    }

    @Test
    void aDeleteByAnIdTheProxyHasNotSeenWaitsUntilTheTopicIsDescribedThroughIt() throws Exception {
        kafka.createTopic("adm-by-id", 1, Map.of());
        Uuid id;
        try (Admin direct = admin(kafka.bootstrapServers())) {
            id = get(direct.describeTopics(List.of("adm-by-id")).allTopicNames()).get("adm-by-id").topicId();
        }
        try (KeyholdProxy p = proxy(new TestKms()); Admin admin = admin(p.bootstrapServers())) {
            assertThatThrownBy(() -> get(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all()))
                    .cause().isInstanceOf(UnknownTopicIdException.class).hasMessageContaining("describe the topic through the proxy");
            get(admin.describeTopics(List.of("adm-by-id")).allTopicNames());
            get(admin.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all());
            assertThat(get(admin.listTopics().names())).doesNotContain("adm-by-id");
        }
    }

    /** Every version of every guarded request, spoken by hand, gets an answer Kafka's own classes read, naming the refusal. */
    @Test
    void everyVersionOfEveryGuardedRequestIsAnsweredWithTheRefusal() throws Exception {
        try (KeyholdProxy p = proxy(new TestKms()); RawKafka raw = RawKafka.connect(p.bootstrapAddress())) {
            int correlation = 1;
            for (ApiKeys api : List.of(ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.DELETE_RECORDS,
                    ApiKeys.CREATE_PARTITIONS, ApiKeys.ALTER_CONFIGS, ApiKeys.INCREMENTAL_ALTER_CONFIGS)) {
                for (short v = api.oldestVersion(); v <= api.latestVersion(); v++) {
                    AbstractResponse r = raw.exchange(namingTheKeyTopic(api, v), v, correlation++);
                    Map<Errors, Integer> errors = r.errorCounts();
                    assertThat(errors).as(api + " v" + v).containsOnlyKeys(Errors.TOPIC_AUTHORIZATION_FAILED);
                    if (api != ApiKeys.DELETE_RECORDS && !(api == ApiKeys.DELETE_TOPICS && v < 5)) { // those have no message field
                        assertThat(r.data().toString()).as(api + " v" + v).contains("Keyhold's key topic");
                    }
                }
            }
            assertThat(p.metrics().keyTopicRequestsRefused()).isPositive();
        }
    }

    private static AbstractRequest.Builder<?> namingTheKeyTopic(ApiKeys api, short version) {
        return switch (api) {
            case CREATE_TOPICS -> {
                CreateTopicsRequestData d = new CreateTopicsRequestData().setTimeoutMs(10_000);
                d.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(KEY_TOPIC).setNumPartitions(1)
                        .setReplicationFactor((short) 1));
                yield new CreateTopicsRequest.Builder(d);
            }
            case DELETE_TOPICS -> new DeleteTopicsRequest.Builder(version >= 6 // by name: a list of names, later of topic states
                    ? new DeleteTopicsRequestData().setTimeoutMs(10_000)
                            .setTopics(List.of(new DeleteTopicsRequestData.DeleteTopicState().setName(KEY_TOPIC)))
                    : new DeleteTopicsRequestData().setTimeoutMs(10_000).setTopicNames(List.of(KEY_TOPIC)));
            case DELETE_RECORDS -> {
                DeleteRecordsRequestData d = new DeleteRecordsRequestData().setTimeoutMs(10_000);
                d.topics().add(new DeleteRecordsRequestData.DeleteRecordsTopic().setName(KEY_TOPIC).setPartitions(List.of(
                        new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(1))));
                yield new DeleteRecordsRequest.Builder(d);
            }
            case CREATE_PARTITIONS -> {
                CreatePartitionsRequestData d = new CreatePartitionsRequestData().setTimeoutMs(10_000);
                d.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName(KEY_TOPIC).setCount(3));
                yield new CreatePartitionsRequest.Builder(d);
            }
            case ALTER_CONFIGS -> new AlterConfigsRequest.Builder(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, KEY_TOPIC),
                    new AlterConfigsRequest.Config(List.of(new AlterConfigsRequest.ConfigEntry("retention.ms", "1")))), false);
            case INCREMENTAL_ALTER_CONFIGS -> {
                IncrementalAlterConfigsRequestData d = new IncrementalAlterConfigsRequestData();
                IncrementalAlterConfigsRequestData.AlterConfigsResource res = new IncrementalAlterConfigsRequestData.AlterConfigsResource()
                        .setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName(KEY_TOPIC);
                res.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms").setValue("1")
                        .setConfigOperation(AlterConfigOp.OpType.SET.id()));
                d.resources().add(res);
                yield new IncrementalAlterConfigsRequest.Builder(d);
            }
            default -> throw new IllegalArgumentException(api.toString());
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
