package io.keyhold.proxy.internal;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DekPendingException;
import io.keyhold.kms.KmsException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;

/**
 * <b>Produce: every partition's records are encrypted here</b>, into the request frame that goes
 * on to the broker; or the reason it cannot go on (an error for every partition), or the news that
 * a DEK is still on its way from the KMS. The compressed batches of one request share one
 * {@link DecompressionBudget}. Runs on the connection's event loop and never waits.
 */
final class ProduceEncryption {
    /** What became of one request: exactly one of the three. */
    record Outcome(ByteBuf encoded, Errors error, String message, boolean pending) {
        static Outcome refused(Errors error, String message) {
            return new Outcome(null, error, message, false);
        }
    }

    private static final Outcome PENDING = new Outcome(null, Errors.NONE, null, true);

    private final ProxyRuntime rt;
    private final ProduceErrors errors;

    ProduceEncryption(ProxyRuntime rt) {
        this.rt = rt;
        this.errors = new ProduceErrors(rt);
    }

    /**
     * Encrypts the records of {@code req}, decoded from {@code frame} (whose header is
     * {@code headerLength} bytes). The encoded frame, when there is one, is the caller's.
     *
     * @param mayWait whether a missing DEK may still be waited for; if not it fails the request (retriable)
     */
    Outcome encrypt(ProduceRequestData req, ByteBuf frame, int headerLength, short version, ByteBufAllocator alloc,
                    boolean mayWait) {
        List<RebuiltRecords> encrypted = new ArrayList<>();
        DecompressionBudget budget = rt.encryption.newBudget();
        try {
            for (ProduceRequestData.TopicProduceData t : req.topicData()) {
                String topic = rt.topicNames.resolve(t.name(), t.topicId());
                if (topic == null) {
                    return Outcome.refused(Errors.UNKNOWN_TOPIC_ID, "the proxy does not know this topic id yet; refresh metadata");
                }
                if (ClusterKeyTopic.isReserved(topic)) {
                    return Outcome.refused(Errors.TOPIC_AUTHORIZATION_FAILED, "topic " + topic
                            + " holds Keyhold's cluster keys; only the proxy itself writes it");
                }
                for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                    if (p.records() instanceof MemoryRecords) {
                        RebuiltRecords out = rt.encryption.encrypt(topic, (MemoryRecords) p.records(), budget);
                        encrypted.add(out);
                        p.setRecords(out);
                    }
                }
            }
            return new Outcome(Frames.withBody(alloc, frame, headerLength, req, version, !encrypted.isEmpty()), Errors.NONE, null, false);
        } catch (DekPendingException e) {
            return mayWait ? PENDING : Outcome.refused(Errors.REQUEST_TIMED_OUT, ProduceErrors.KMS_UNAVAILABLE);
        } catch (KmsException | CryptoException | CorruptRecordException | IllegalArgumentException e) {
            return Outcome.refused(ProduceErrors.error(e), errors.message(e));
        } finally {
            encrypted.forEach(RebuiltRecords::release); // the encoded frame holds its own references
        }
    }

    /** Asks for the DEKs of every topic in {@code req} at once, for a request that waits for them. */
    void prepare(ProduceRequestData req, KmsWaits waits) {
        for (ProduceRequestData.TopicProduceData t : req.topicData()) {
            String topic = rt.topicNames.resolve(t.name(), t.topicId());
            if (topic != null) {
                waits.add(rt.encryption.prepare(topic));
            }
        }
    }

    /** The refusal for a request whose DEKs the KMS would not give. */
    Outcome refusedBy(Throwable kmsFailure) {
        return Outcome.refused(ProduceErrors.error(kmsFailure), errors.message(kmsFailure));
    }
}
