package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The responses one client connection is owed, in request order: Kafka clients expect responses
 * in the order of their requests, whether a broker or the proxy answers. Broker responses are
 * rewritten here (addresses, ApiVersions) and fetched records decrypted; a response whose records
 * need DEKs the caches do not hold yet is parked until the KMS has answered (it and the responses
 * behind it wait; other connections do not). Lives on the connection's event loop.
 */
final class ResponseQueue {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseQueue.class);

    private final ProxyRuntime rt;
    private final ResponseRewriter rewriter;
    private final java.util.function.BiConsumer<ApiKeys, Errors> saslAnswers;
    private final ArrayDeque<PendingResponse> pending = new ArrayDeque<>();
    private Channel client;
    private Channel upstream;
    /** The latest write to the client; it completes only after every earlier one. */
    private ChannelFuture lastClientWrite;
    private boolean closed;

    /** @param saslAnswers told the broker's error code for every SaslHandshake and SaslAuthenticate, after it is queued for the client */
    ResponseQueue(ProxyRuntime rt, java.util.function.BiConsumer<ApiKeys, Errors> saslAnswers) {
        this.rt = rt;
        this.rewriter = new ResponseRewriter(rt);
        this.saslAnswers = saslAnswers;
    }

    void clientConnected(Channel client) {
        this.client = client;
    }

    void upstreamConnected(Channel upstream) {
        this.upstream = upstream;
    }

    /** A request went to the broker: its response comes back in order. */
    void expectFromBroker(Frames.RequestStart rs, ApiKeys api) {
        pending.add(new PendingResponse(rs.correlationId(), api, rs.apiVersion(), true));
    }

    /**
     * A request the proxy sent to the broker on its own: the broker's answer goes to {@code onAnswer}
     * (which must not keep the frame past its call), never to the client.
     */
    void expectInternal(int correlationId, ApiKeys api, short version, java.util.function.Consumer<ByteBuf> onAnswer) {
        PendingResponse p = new PendingResponse(correlationId, api, version, true);
        p.internal = onAnswer;
        pending.add(p);
    }

    /** Whether the client is owed nothing right now. */
    boolean isEmpty() {
        return pending.isEmpty();
    }

    /** Queues a response the proxy made itself. */
    void answer(Frames.RequestStart rs, ApiKeys api, ByteBuf response) {
        PendingResponse p = new PendingResponse(rs.correlationId(), api, rs.apiVersion(), false);
        p.response = response;
        pending.add(p);
        drain();
    }

    /** A frame from the broker, which this queue then owns. */
    void fromBroker(ByteBuf frame) {
        PendingResponse p = oldestAwaitingBroker();
        if (p == null || frame.readableBytes() < 4 || frame.getInt(frame.readerIndex()) != p.correlationId) {
            frame.release();
            LOG.warn("cluster {}: broker response does not match any request; closing the connection", rt.config.clusterId());
            upstream.close();
            return;
        }
        p.brokerAnswered = true;
        if (p.internal != null) {
            pending.remove(p);
            try {
                p.internal.accept(frame);
            } finally {
                frame.release();
            }
            drain();
            return;
        }
        if (p.api == ApiKeys.SASL_HANDSHAKE || p.api == ApiKeys.SASL_AUTHENTICATE) {
            Errors error = errorCode(frame, p.api, p.version);
            p.response = frame;
            drain();
            saslAnswers.accept(p.api, error);
            return;
        }
        if (p.api != null && ResponseRewriter.rewrites(p.api, p.version)) {
            rewrite(p, frame, new KmsWaits(1));
        } else {
            p.response = frame;
        }
        drain();
    }

    /** Rewrites (and decrypts) a broker response, which it then owns; parks it while DEKs are missing. */
    private void rewrite(PendingResponse p, ByteBuf frame, KmsWaits waits) {
        boolean keep = false;
        try {
            int headerLength = Frames.responseHeaderLength(frame, p.api, p.version);
            List<RebuiltRecords> decrypted = new ArrayList<>();
            try {
                ApiMessage changed = rewriter.rewrite(p.api, p.version, Frames.body(frame, headerLength), decrypted, waits);
                if (!waits.isEmpty()) {
                    keep = true; // redone once the KMS has answered; what was decrypted meanwhile is dropped
                    p.waitingFrame = frame;
                    rt.counters.requestsWaitedForKms.increment();
                    waits.whenReady(client.eventLoop(), rt.config.kmsWait(), () -> resume(p, waits));
                    return;
                }
                p.response = Frames.withBody(client.alloc(), frame, headerLength, changed, p.version, !decrypted.isEmpty());
            } finally {
                decrypted.forEach(RebuiltRecords::release);
            }
        } catch (RuntimeException e) {
            LOG.warn("cluster {}: cannot process a {} response: {}; closing the connection", rt.config.clusterId(), p.api, e.toString());
            upstream.close();
        } finally {
            if (!keep) {
                frame.release();
            }
        }
    }

    private void resume(PendingResponse p, KmsWaits waits) {
        ByteBuf frame = p.waitingFrame;
        if (frame == null || closed) {
            return; // the connection closed meanwhile and released it
        }
        p.waitingFrame = null;
        rewrite(p, frame, waits.next());
        drain();
        client.flush();
    }

    /** The error code a response starts with (SaslHandshake, SaslAuthenticate, ApiVersions); UNKNOWN_SERVER_ERROR if unreadable. */
    static Errors errorCode(ByteBuf frame, ApiKeys api, short version) {
        try {
            int at = frame.readerIndex() + Frames.responseHeaderLength(frame, api, version);
            return frame.writerIndex() - at >= 2 ? Errors.forCode(frame.getShort(at)) : Errors.UNKNOWN_SERVER_ERROR;
        } catch (RuntimeException e) {
            return Errors.UNKNOWN_SERVER_ERROR;
        }
    }

    private PendingResponse oldestAwaitingBroker() {
        for (PendingResponse p : pending) {
            if (p.upstream && !p.brokerAnswered) {
                return p;
            }
        }
        return null;
    }

    /** Writes every response whose turn has come. */
    private void drain() {
        PendingResponse head;
        while ((head = pending.peek()) != null && head.response != null) {
            pending.poll();
            lastClientWrite = client.write(head.response);
        }
    }

    /** The latest write to the client, or null when nothing was written yet. */
    ChannelFuture lastWrite() {
        return lastClientWrite;
    }

    /** The connection closed: releases every response still held. */
    void close() {
        closed = true;
        for (PendingResponse p : pending) {
            if (p.response != null) {
                p.response.release();
            }
            if (p.waitingFrame != null) {
                p.waitingFrame.release();
                p.waitingFrame = null;
            }
        }
        pending.clear();
    }
}
