package io.keyhold.proxy.internal;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;

/** Responses the proxy writes itself, without asking a broker: refusals and version errors. */
final class LocalResponses {
    private LocalResponses() {
    }

    /** Every partition of {@code request} fails with {@code error}. */
    static ProduceResponseData produceError(ProduceRequestData request, Errors error, String message) {
        ProduceResponseData resp = new ProduceResponseData();
        for (ProduceRequestData.TopicProduceData t : request.topicData()) {
            ProduceResponseData.TopicProduceResponse tr = new ProduceResponseData.TopicProduceResponse()
                    .setName(t.name()).setTopicId(t.topicId());
            for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                tr.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse()
                        .setIndex(p.index()).setErrorCode(error.code()).setErrorMessage(message)
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1));
            }
            resp.responses().add(tr);
        }
        return resp;
    }

    /**
     * Every partition named in a full fetch request fails with {@code error}. An incremental fetch
     * (session epoch above 0) does not list all its partitions, so it gets FETCH_SESSION_ID_NOT_FOUND
     * instead: the client then starts over with a full request, which names them all.
     */
    static FetchResponseData fetchError(FetchRequestData request, Errors error) {
        FetchResponseData resp = new FetchResponseData().setSessionId(0);
        if (request.sessionEpoch() > 0) {
            return resp.setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code());
        }
        for (FetchRequestData.FetchTopic t : request.topics()) {
            FetchResponseData.FetchableTopicResponse tr = new FetchResponseData.FetchableTopicResponse()
                    .setTopic(t.topic()).setTopicId(t.topicId());
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                tr.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(p.partition())
                        .setErrorCode(error.code()).setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1)
                        .setRecords(MemoryRecords.EMPTY));
            }
            resp.responses().add(tr);
        }
        return resp;
    }

    /** The answer to an ApiVersions request at a version the proxy does not know: v0 body, UNSUPPORTED_VERSION, as a broker answers. */
    static ApiVersionsResponseData unsupportedApiVersions() {
        ApiVersionsResponseData resp = new ApiVersionsResponseData().setErrorCode(Errors.UNSUPPORTED_VERSION.code());
        resp.apiKeys().add(new ApiVersionsResponseData.ApiVersion().setApiKey(ApiKeys.API_VERSIONS.id)
                .setMinVersion(ApiKeys.API_VERSIONS.oldestVersion()).setMaxVersion(ApiKeys.API_VERSIONS.latestVersion()));
        return resp;
    }
}
