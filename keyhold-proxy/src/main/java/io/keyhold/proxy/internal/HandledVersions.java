package io.keyhold.proxy.internal;

import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Which request versions the proxy can pass on. Requests and responses of most APIs go through as
 * bytes, so any version does; but for the APIs whose bodies the proxy decodes (to encrypt, decrypt
 * or rewrite broker addresses) only the versions the bundled {@code kafka-clients} knows can be
 * handled. Anything else must never reach the broker: a Produce the proxy cannot read is a Produce
 * it cannot encrypt.
 */
final class HandledVersions {
    /** The APIs whose request or response bodies the proxy decodes (see FrontendHandler, ResponseRewriter and KeyTopicGuard). */
    private static final Set<ApiKeys> DECODED = decoded();

    private HandledVersions() {
    }

    private static Set<ApiKeys> decoded() {
        Set<ApiKeys> s = EnumSet.of(ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.API_VERSIONS, ApiKeys.METADATA,
                ApiKeys.FIND_COORDINATOR, ApiKeys.DESCRIBE_CLUSTER, ApiKeys.DESCRIBE_TOPIC_PARTITIONS);
        s.addAll(KeyTopicGuard.GUARDED); // decoded to see whether they name Keyhold's key topic
        return s;
    }

    /** Whether a request of {@code api} at {@code version} may be handled and passed on. */
    static boolean handles(ApiKeys api, short version) {
        // Not ApiKeys.isVersionEnabled: that accepts any ApiVersions version, since brokers answer those themselves.
        return !DECODED.contains(api) || (api.oldestVersion() <= version && version <= api.latestVersion(true));
    }
}
