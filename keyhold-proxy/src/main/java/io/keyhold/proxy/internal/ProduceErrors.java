package io.keyhold.proxy.internal;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsException;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a produce whose records could not be encrypted is answered: the Kafka error code, and a
 * message for the client. KMS error text (key ARNs, account ids, role names) goes to the log under
 * a reference the client's message carries, never to the client.
 */
final class ProduceErrors {
    private static final Logger LOG = LoggerFactory.getLogger(ProduceErrors.class);
    static final String KMS_UNAVAILABLE = "Keyhold: the KMS did not supply a data key in time; retry";

    private final ProxyRuntime rt;

    ProduceErrors(ProxyRuntime rt) {
        this.rt = rt;
    }

    /** The Kafka error for {@code e}: refused key, KMS unavailable (retriable), bad records. */
    static Errors error(Throwable e) {
        if (e instanceof KmsDeniedException) {
            return Errors.TOPIC_AUTHORIZATION_FAILED;
        }
        if (e instanceof KmsException) {
            return Errors.REQUEST_TIMED_OUT;
        }
        return e instanceof CorruptRecordException ? Errors.CORRUPT_MESSAGE : Errors.INVALID_RECORD;
    }

    /** The client's message for {@code e}; logs the full story. */
    String message(Throwable e) {
        if (e instanceof KmsException) {
            rt.counters.kmsFailures.increment();
            String ref = Long.toHexString(ThreadLocalRandom.current().nextLong());
            LOG.warn("cluster {}: produce refused [ref {}]: the KMS failed: {}", rt.config.clusterId(), ref, e.getMessage());
            return (e instanceof KmsDeniedException ? "Keyhold: the KMS refused the cluster's key" : KMS_UNAVAILABLE)
                    + " (see the proxy log, ref " + ref + ")";
        }
        String message = e instanceof CorruptRecordException ? "Keyhold: " + e.getMessage()
                : "Keyhold: cannot encrypt the records: " + e.getMessage();
        LOG.warn("cluster {}: produce refused: {}", rt.config.clusterId(), message);
        return message;
    }
}
