package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * A request of one client connection that still owes the client a response. Kafka clients expect
 * responses in request order, so responses wait here until everything before them is answered,
 * whether a broker or the proxy itself answers.
 */
final class PendingResponse {
    final int correlationId;
    final ApiKeys api;
    final short version;
    /** Answered by a broker (true) or by the proxy (false). */
    final boolean upstream;
    /** The response frame once known; owned by this entry until written. */
    ByteBuf response;
    /** The broker's answer has arrived (it may still be waiting for DEKs before it becomes {@link #response}). */
    boolean brokerAnswered;
    /** The broker's frame while its records wait for DEKs from the KMS; owned by this entry. */
    ByteBuf waitingFrame;
    /** For a request the proxy sent on its own: takes the broker's answer, which the client never sees. */
    java.util.function.Consumer<ByteBuf> internal;

    PendingResponse(int correlationId, ApiKeys api, short version, boolean upstream) {
        this.correlationId = correlationId;
        this.api = api;
        this.version = version;
        this.upstream = upstream;
    }
}
