package io.keyhold.proxy.internal;

import java.util.concurrent.atomic.LongAdder;

/** The proxy's counters, written on the hot path; read through {@code io.keyhold.proxy.ProxyMetrics}. */
public final class ProxyCounters {
    public final LongAdder connectionsAccepted = new LongAdder();
    public final LongAdder recordsEncrypted = new LongAdder();
    public final LongAdder recordsDecrypted = new LongAdder();
    public final LongAdder unencryptedRecordsRejected = new LongAdder();
    public final LongAdder unencryptedRecordsPassed = new LongAdder();
    public final LongAdder decryptionFailures = new LongAdder();
    public final LongAdder requestsRefusedLocked = new LongAdder();
    /** Admin requests refused because they name Keyhold's key topic ({@code KeyTopicGuard}). */
    public final LongAdder keyTopicRequestsRefused = new LongAdder();
    public final LongAdder kmsFailures = new LongAdder();
    /** Requests and responses that were parked until the KMS supplied a DEK. */
    public final LongAdder requestsWaitedForKms = new LongAdder();
    public final LongAdder connectionsClosedBadFrame = new LongAdder();
    /** Connections closed for a request other than ApiVersions, SaslHandshake, SaslAuthenticate before SASL authentication. */
    public final LongAdder connectionsClosedUnauthenticated = new LongAdder();
    /** Connections closed because a frame they began was not complete within the frame timeout. */
    public final LongAdder connectionsClosedFrameTimeout = new LongAdder();
    /** Connections closed after the idle timeout. */
    public final LongAdder connectionsClosedIdle = new LongAdder();
    /** Connections refused at once because the proxy holds its maximum number of connections. */
    public final LongAdder connectionsRefusedMax = new LongAdder();
    /** Connections refused at once because their address holds its maximum number of connections. */
    public final LongAdder connectionsRefusedPerAddress = new LongAdder();
    /** A gauge, not a counter: up when a client connection is set up, down when it closes. */
    public final LongAdder connectionsOpen = new LongAdder();
}
