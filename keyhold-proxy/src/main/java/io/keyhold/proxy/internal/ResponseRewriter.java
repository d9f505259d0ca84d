package io.keyhold.proxy.internal;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DekPendingException;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsException;
import io.keyhold.proxy.ProxyConfig.HostPort;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes the broker responses that must change: broker addresses become proxy addresses (so
 * clients stay on the proxy), ApiVersions is capped at what the proxy handles, and Fetch records are
 * decrypted. Each method decodes the body in place, changes it and returns it for re-encoding.
 */
final class ResponseRewriter {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseRewriter.class);

    /**
     * APIs hidden from clients. Share groups (KIP-932) read records through ShareFetch, which the
     * proxy does not decrypt; hiding the share APIs makes share consumers fail at once with an
     * unsupported-version error instead of receiving ciphertext.
     */
    static final Set<ApiKeys> NOT_ADVERTISED = EnumSet.of(ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE,
            ApiKeys.SHARE_GROUP_HEARTBEAT);

    private final ProxyRuntime rt;

    ResponseRewriter(ProxyRuntime rt) {
        this.rt = rt;
    }

    /** Whether responses to {@code api} at {@code version} go through {@link #rewrite}. */
    static boolean rewrites(ApiKeys api, short version) {
        switch (api) {
            case API_VERSIONS:
            case METADATA:
            case FIND_COORDINATOR:
            case DESCRIBE_CLUSTER:
            case DESCRIBE_TOPIC_PARTITIONS: // topic ids to names, as from Metadata (Admin.describeTopics uses it)
            case FETCH:
                return true;
            case PRODUCE:
                return version >= 10; // carries leader endpoints (KIP-951)
            default:
                return false;
        }
    }

    /**
     * @param built collects the record sets this rewrite created (they may be sent without copying)
     * @param waits collects the DEKs a fetch is missing; when any is, the caller redoes the rewrite
     *              once they are there, and discards this result
     */
    ApiMessage rewrite(ApiKeys api, short version, ByteBufferAccessor body, List<RebuiltRecords> built, KmsWaits waits) {
        switch (api) {
            case API_VERSIONS:
                return apiVersions(new ApiVersionsResponseData(body, version));
            case METADATA:
                return metadata(new MetadataResponseData(body, version));
            case FIND_COORDINATOR:
                return findCoordinator(new FindCoordinatorResponseData(body, version));
            case DESCRIBE_CLUSTER:
                return describeCluster(new DescribeClusterResponseData(body, version));
            case DESCRIBE_TOPIC_PARTITIONS:
                return describeTopicPartitions(new DescribeTopicPartitionsResponseData(body, version));
            case PRODUCE:
                return produce(new ProduceResponseData(body, version));
            case FETCH:
                return fetch(new FetchResponseData(body, version), built, waits);
            default:
                throw new IllegalArgumentException("no rewrite for " + api);
        }
    }

    /**
     * Advertise the broker's range of every API, capped at the newest version this proxy speaks.
     * The bottom of a range is never raised, even below what the proxy handles: clients detect
     * features from the whole range (librdkafka enables gzip, snappy and lz4 only if Produce v0 is
     * in it, which Kafka 4 brokers advertise for that reason but refuse), so a narrowed range would
     * change what a client does. Versions the proxy cannot handle are refused per request instead
     * ({@link HandledVersions}), the way the broker refuses them.
     */
    private ApiVersionsResponseData apiVersions(ApiVersionsResponseData resp) {
        ApiVersionsResponseData.ApiVersionCollection kept = new ApiVersionsResponseData.ApiVersionCollection();
        for (ApiVersionsResponseData.ApiVersion v : resp.apiKeys()) {
            if (!ApiKeys.hasId(v.apiKey())) {
                continue;
            }
            ApiKeys k = ApiKeys.forId(v.apiKey());
            if (NOT_ADVERTISED.contains(k)) {
                continue;
            }
            short max = (short) Math.min(v.maxVersion(), k.latestVersion(true));
            if (v.minVersion() <= max && HandledVersions.handles(k, max)) {
                kept.add(new ApiVersionsResponseData.ApiVersion().setApiKey(v.apiKey()).setMinVersion(v.minVersion())
                        .setMaxVersion(max));
            }
        }
        return resp.setApiKeys(kept);
    }

    private MetadataResponseData metadata(MetadataResponseData resp) {
        for (MetadataResponseData.MetadataResponseBroker b : resp.brokers()) {
            HostPort p = rt.brokerPorts.proxyAddressFor(b.nodeId(), b.host(), b.port());
            b.setHost(p.host()).setPort(p.port());
        }
        for (MetadataResponseData.MetadataResponseTopic t : resp.topics()) {
            rt.topicNames.learn(t.topicId(), t.name());
        }
        return resp;
    }

    private DescribeTopicPartitionsResponseData describeTopicPartitions(DescribeTopicPartitionsResponseData resp) {
        for (DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic t : resp.topics()) {
            rt.topicNames.learn(t.topicId(), t.name());
        }
        return resp;
    }

    private FindCoordinatorResponseData findCoordinator(FindCoordinatorResponseData resp) {
        if (resp.errorCode() == Errors.NONE.code() && resp.nodeId() >= 0 && !resp.host().isEmpty()) {
            HostPort p = rt.brokerPorts.proxyAddressFor(resp.nodeId(), resp.host(), resp.port());
            resp.setHost(p.host()).setPort(p.port());
        }
        for (FindCoordinatorResponseData.Coordinator c : resp.coordinators()) {
            if (c.errorCode() == Errors.NONE.code() && c.nodeId() >= 0) {
                HostPort p = rt.brokerPorts.proxyAddressFor(c.nodeId(), c.host(), c.port());
                c.setHost(p.host()).setPort(p.port());
            }
        }
        return resp;
    }

    private DescribeClusterResponseData describeCluster(DescribeClusterResponseData resp) {
        if (resp.endpointType() != 1) {
            return resp; // controller endpoints (bootstrap.controllers): not data, not proxied
        }
        for (DescribeClusterResponseData.DescribeClusterBroker b : resp.brokers()) {
            HostPort p = rt.brokerPorts.proxyAddressFor(b.brokerId(), b.host(), b.port());
            b.setHost(p.host()).setPort(p.port());
        }
        return resp;
    }

    private ProduceResponseData produce(ProduceResponseData resp) {
        for (ProduceResponseData.NodeEndpoint n : resp.nodeEndpoints()) {
            HostPort p = rt.brokerPorts.proxyAddressFor(n.nodeId(), n.host(), n.port());
            n.setHost(p.host()).setPort(p.port());
        }
        return resp;
    }

    /** <b>Where fetched records get decrypted</b> (one partition at a time; a failure fails only that partition). */
    private FetchResponseData fetch(FetchResponseData resp, List<RebuiltRecords> built, KmsWaits waits) {
        for (FetchResponseData.NodeEndpoint n : resp.nodeEndpoints()) {
            HostPort p = rt.brokerPorts.proxyAddressFor(n.nodeId(), n.host(), n.port());
            n.setHost(p.host()).setPort(p.port());
        }
        boolean locked = rt.isLocked();
        for (FetchResponseData.FetchableTopicResponse t : resp.responses()) {
            String topic = rt.topicNames.resolve(t.topic(), t.topicId());
            for (FetchResponseData.PartitionData p : t.partitions()) {
                BaseRecords records = p.records();
                if (p.errorCode() != Errors.NONE.code() || !(records instanceof MemoryRecords)
                        || records.sizeInBytes() == 0) {
                    continue;
                }
                if (locked) {
                    rt.counters.requestsRefusedLocked.increment();
                    fail(p, Errors.TOPIC_AUTHORIZATION_FAILED);
                } else if (topic == null) {
                    fail(p, Errors.UNKNOWN_TOPIC_ID);
                } else if (ClusterKeyTopic.isReserved(topic)) {
                    fail(p, Errors.TOPIC_AUTHORIZATION_FAILED); // Keyhold's wrapped cluster keys: the proxy's alone
                } else {
                    decryptPartition(topic, p, built, waits);
                }
            }
        }
        return resp;
    }

    private void decryptPartition(String topic, FetchResponseData.PartitionData p, List<RebuiltRecords> built, KmsWaits waits) {
        try {
            RebuiltRecords plain = rt.encryption.decrypt(topic, (MemoryRecords) p.records());
            built.add(plain);
            p.setRecords(plain);
        } catch (DekPendingException e) {
            if (waits.allowed()) {
                waits.add(e); // the KMS is unwrapping it; the whole response is redone then
            } else {
                rt.counters.kmsFailures.increment();
                rt.fetchWarnings.warn(LOG, "cluster " + rt.config.clusterId() + ": the KMS did not unwrap a DEK for " + topic + "-"
                        + p.partitionIndex() + " in time");
                fail(p, Errors.UNKNOWN_SERVER_ERROR);
            }
        } catch (RecordEncryption.UnencryptedRecordException | CryptoException | CorruptRecordException e) {
            rt.fetchWarnings.warn(LOG, "cluster " + rt.config.clusterId() + ": fetch of " + topic + "-" + p.partitionIndex()
                    + " failed: " + e.getMessage());
            fail(p, Errors.CORRUPT_MESSAGE);
        } catch (KmsDeniedException e) {
            rt.counters.kmsFailures.increment();
            rt.fetchWarnings.warn(LOG, "cluster " + rt.config.clusterId() + ": the KMS refused a DEK for " + topic + "-"
                    + p.partitionIndex() + ": " + e.getMessage());
            // A wrapped DEK that is damaged or bound elsewhere is bad data, not a key the customer took away.
            fail(p, e.reason() == KmsDeniedException.Reason.INVALID_CIPHERTEXT ? Errors.CORRUPT_MESSAGE : Errors.TOPIC_AUTHORIZATION_FAILED);
        } catch (KmsException e) {
            rt.counters.kmsFailures.increment();
            rt.fetchWarnings.warn(LOG, "cluster " + rt.config.clusterId() + ": KMS unavailable while decrypting " + topic + "-"
                    + p.partitionIndex() + ": " + e.getMessage());
            fail(p, Errors.UNKNOWN_SERVER_ERROR);
        }
    }

    private static void fail(FetchResponseData.PartitionData p, Errors error) {
        p.setErrorCode(error.code()).setRecords(MemoryRecords.EMPTY).setAbortedTransactions(null);
    }
}
