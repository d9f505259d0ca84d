package io.keyhold.kms.audit;

/**
 * Where audit events go: the control plane's database, a standalone proxy's JSON-lines file, or
 * both. {@link #record} is called from any thread, including Netty event loops and KMS callback
 * threads, so an implementation must neither block nor throw: it queues the event and writes it on
 * a thread of its own, and reports its own failures in its logs and metrics.
 */
public interface AuditSink {

    /** Takes one event for durable recording; returns at once. */
    void record(AuditEvent event);

    /** Discards every event: for processes and tests that keep no audit trail. */
    AuditSink NONE = event -> {
    };
}
