package io.keyhold.proxy.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Uuid;

/**
 * Topic IDs to names, learnt from the Metadata responses that pass through the proxy. Newer
 * Produce and Fetch versions name topics only by ID, but DEK selection and AAD use the name.
 * Clients learn IDs from Metadata through the proxy too, so an ID the proxy has not seen means the
 * client's metadata is older than the proxy (it restarted): answering UNKNOWN_TOPIC_ID makes the
 * client refresh its metadata, through the proxy.
 */
public final class TopicNames {
    private final Map<Uuid, String> byId = new ConcurrentHashMap<>();

    void learn(Uuid id, String name) {
        if (id != null && !Uuid.ZERO_UUID.equals(id) && name != null) {
            byId.put(id, name);
        }
    }

    /** The name of topic {@code id}, or null when not (yet) known. */
    String name(Uuid id) {
        return byId.get(id);
    }

    /** The topic's name: {@code name} when the message carries one, else the name for {@code id}. */
    String resolve(String name, Uuid id) {
        if (name != null && !name.isEmpty()) {
            return name;
        }
        return id == null ? null : byId.get(id);
    }
}
