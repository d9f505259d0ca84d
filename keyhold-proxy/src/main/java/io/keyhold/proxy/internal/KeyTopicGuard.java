package io.keyhold.proxy.internal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.Readable;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;

/**
 * Keeps clients' admin requests off Keyhold's key topic ({@value ClusterKeyTopic#NAME}). Deleting
 * it, deleting records from it, shortening its retention or giving it more partitions would lose
 * the wrapped cluster keys, and with them every record of the cluster, as surely as destroying the
 * customer's key. So a CreateTopics, DeleteTopics, DeleteRecords, CreatePartitions, AlterConfigs
 * or IncrementalAlterConfigs request that names the key topic is answered by the proxy, never
 * passed on: every entry of it fails with {@code TOPIC_AUTHORIZATION_FAILED}, and nothing in the
 * request is done (the other topics of the request included, so that no request is half done).
 * A DeleteTopics entry naming a topic only by an id the proxy has not seen in a Metadata response
 * could be the key topic: it fails with {@code UNKNOWN_TOPIC_ID}, and succeeds once the client has
 * described the topic through the proxy (or deletes it by name).
 *
 * <p>Only requests through the proxy are guarded; the brokers' ACLs must still keep every principal
 * but the proxy's off the key topic (docs/FORMAT.md).
 */
final class KeyTopicGuard {
    /** The admin requests the guard decodes; every other API passes as bytes. */
    static final Set<ApiKeys> GUARDED = EnumSet.of(ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.DELETE_RECORDS,
            ApiKeys.CREATE_PARTITIONS, ApiKeys.ALTER_CONFIGS, ApiKeys.INCREMENTAL_ALTER_CONFIGS);
    static final String REFUSED = "Keyhold: this request names " + ClusterKeyTopic.NAME + ", Keyhold's key topic, which"
            + " clients may not create, delete, truncate or reconfigure (it holds the keys every record needs); nothing in"
            + " the request was done";

    private KeyTopicGuard() {
    }

    /**
     * The error response to {@code body} (a request of one of the {@link #GUARDED} APIs at
     * {@code version}) when it must not reach the brokers, else null.
     */
    static Message refusal(ApiKeys api, short version, Readable body, TopicNames names) {
        AbstractRequest request = AbstractRequest.parseRequest(api, version, body).request;
        List<String> topics = new ArrayList<>();
        List<Uuid> unnamed = new ArrayList<>();
        namedTopics(request, names, topics, unnamed);
        if (topics.stream().anyMatch(ClusterKeyTopic::isReserved)) {
            return withMessage(request.getErrorResponse(0, new TopicAuthorizationException(REFUSED)).data(), REFUSED);
        }
        if (!unnamed.isEmpty()) {
            String why = "Keyhold: the proxy has not seen topic id " + unnamed.get(0) + " yet, so it cannot tell whether it is "
                    + ClusterKeyTopic.NAME + "; describe the topic through the proxy, or name it, and try again; nothing in"
                    + " the request was done";
            return withMessage(request.getErrorResponse(0, new UnknownTopicIdException(why)).data(), why);
        }
        return null;
    }

    /**
     * Kafka's error responses carry the error code only; the message, where the response has a
     * field for it (written only at the versions that have it), says why.
     */
    private static Message withMessage(Message response, String message) {
        if (response instanceof CreateTopicsResponseData r) {
            r.topics().forEach(t -> t.setErrorMessage(message));
        } else if (response instanceof DeleteTopicsResponseData r) {
            r.responses().forEach(t -> t.setErrorMessage(message));
        } else if (response instanceof CreatePartitionsResponseData r) {
            r.results().forEach(t -> t.setErrorMessage(message));
        } else if (response instanceof AlterConfigsResponseData r) {
            r.responses().forEach(t -> t.setErrorMessage(message));
        } else if (response instanceof IncrementalAlterConfigsResponseData r) {
            r.responses().forEach(t -> t.setErrorMessage(message));
        } // DeleteRecords has no message field: its code says it
        return response;
    }

    /** The topic names {@code request} acts on into {@code topics}; topic ids the proxy cannot name into {@code unnamed}. */
    private static void namedTopics(AbstractRequest request, TopicNames names, List<String> topics, List<Uuid> unnamed) {
        if (request instanceof CreateTopicsRequest r) {
            r.data().topics().forEach(t -> topics.add(t.name()));
        } else if (request instanceof DeleteTopicsRequest r) {
            for (DeleteTopicsRequestData.DeleteTopicState t : r.topics()) { // names (v0-5) or names and ids (v6+)
                String name = names.resolve(t.name(), t.topicId());
                if (name != null) {
                    topics.add(name);
                } else if (!Uuid.ZERO_UUID.equals(t.topicId())) { // neither name nor id: the broker says what is wrong
                    unnamed.add(t.topicId());
                }
            }
        } else if (request instanceof DeleteRecordsRequest r) {
            r.data().topics().forEach(t -> topics.add(t.name()));
        } else if (request instanceof CreatePartitionsRequest r) {
            r.data().topics().forEach(t -> topics.add(t.name()));
        } else if (request instanceof AlterConfigsRequest r) {
            r.data().resources().stream().filter(c -> c.resourceType() == ConfigResource.Type.TOPIC.id())
                    .forEach(c -> topics.add(c.resourceName()));
        } else if (request instanceof IncrementalAlterConfigsRequest r) {
            r.data().resources().stream().filter(c -> c.resourceType() == ConfigResource.Type.TOPIC.id())
                    .forEach(c -> topics.add(c.resourceName()));
        } else {
            throw new IllegalArgumentException("not a guarded request: " + request.apiKey());
        }
    }
}
