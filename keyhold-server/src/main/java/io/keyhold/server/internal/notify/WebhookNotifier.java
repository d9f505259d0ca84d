package io.keyhold.server.internal.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.Webhook;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the audit trail's lifecycle events to the configured webhooks ({@code notifications}),
 * subscribed to the server's {@code AuditTrail}. {@link #record} only serializes the event and
 * queues it for each webhook that wants its type: it never blocks, so a lock never waits for a
 * webhook. The JSON body:
 *
 * <pre>{"id":"…","type":"CLUSTER_LOCKED","time":"2026-…Z","cluster":"lkc-…","key":"cck-…",
 *  "provider":"aws","organization":"…","reason":"…"}</pre>
 */
public final class WebhookNotifier implements AuditSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Target(Webhook webhook, WebhookSender sender) {
    }

    private final List<Target> targets = new ArrayList<>();
    private volatile boolean closed;

    public WebhookNotifier(List<Webhook> webhooks, Clock clock) {
        for (Webhook w : webhooks) {
            targets.add(new Target(w, new WebhookSender(w, clock)));
        }
    }

    @Override
    public void record(AuditEvent event) {
        if (closed) {
            return;
        }
        try {
            byte[] body = null;
            for (Target t : targets) {
                if (t.webhook().events().contains(event.type())) {
                    if (body == null) {
                        body = body(event);
                    }
                    t.sender().send(body);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot queue a {} notification: {}", event.type(), e.toString());
        }
    }

    static byte[] body(AuditEvent e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", UUID.randomUUID().toString());
        n.put("type", e.type().name());
        n.put("time", e.time().toString());
        putIfPresent(n, "cluster", e.cluster());
        putIfPresent(n, "key", e.key());
        putIfPresent(n, "provider", e.provider());
        putIfPresent(n, "key_version", e.keyVersion());
        putIfPresent(n, "organization", e.organization());
        putIfPresent(n, "reason", e.message());
        try {
            return JSON.writeValueAsBytes(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new IllegalStateException(x);
        }
    }

    private static void putIfPresent(ObjectNode n, String field, String value) {
        if (value != null) {
            n.put(field, value);
        }
    }

    @Override
    public void close() {
        closed = true;
        targets.forEach(t -> t.sender().close());
    }
}
