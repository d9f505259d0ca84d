package io.keyhold.proxy.internal;

import io.keyhold.proxy.ProxyConfig.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;
import java.util.List;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one proxied connection, and the connection's logic: every request frame is
 * either forwarded as it is (most APIs), changed and forwarded (Produce: records encrypted), or
 * answered by the proxy (refusals while locked). Every response goes back in request order.
 *
 * <p>The client channel and its broker channel share one event loop, so none of this state needs
 * locking.
 *
 * <p>A request or response whose records need a DEK the caches do not hold yet never waits on the
 * event loop: it is parked (see {@link KmsWaits}) and redone when the KMS has answered, while the
 * loop serves its other connections. A parked produce holds this connection's later requests
 * behind it (Kafka's per-connection ordering, which idempotent producers rely on); a parked fetch
 * response holds the responses after it, as responses go back in request order anyway.
 */
public final class FrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(FrontendHandler.class);

    /** Where this connection's broker is: the bootstrap servers, or one known broker. */
    public interface UpstreamTarget {
        /** Addresses to try, in order. */
        List<HostPort> candidates();
    }

    private final ProxyRuntime rt;
    private final UpstreamTarget target;
    private final ResponseQueue responses;
    private final ProduceEncryption produce;
    private final SaslGate sasl;
    private Channel client;
    private Channel upstream;
    private SizedFrameDecoder decoder;
    private ClientTimeouts timeouts;
    private boolean closing;
    /** Reading from the client has begun (the broker connection is up and the SASL question settled). */
    private boolean reading;
    /** A request is parked waiting for the KMS: frames that arrive meanwhile wait in {@link #held}. */
    private boolean parked;
    /** A SASL request, or the proxy's question whether the client is authenticated, awaits the broker's answer: same. */
    private boolean waitingForSasl;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();

    public FrontendHandler(ProxyRuntime rt, UpstreamTarget target) {
        this.rt = rt;
        this.target = target;
        this.responses = new ResponseQueue(rt, this::saslAnswered);
        this.produce = new ProduceEncryption(rt);
        this.sasl = new SaslGate(rt.upstreamSasl, rt.config.maxFrameBytes());
    }

    /** Whether requests are held (in {@link #held}, not read from the socket) until something answers. */
    private boolean holding() {
        return parked || waitingForSasl;
    }

    // ---- connection set-up and tear-down -------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        responses.clientConnected(client);
        client.config().setAutoRead(false); // nothing to forward to until the broker connection is up
        rt.counters.connectionsAccepted.increment();
        decoder = ctx.pipeline().get(SizedFrameDecoder.class);
        decoder.maxFrameBytes(sasl.frameLimit());
        timeouts = ClientTimeouts.start(rt, client, decoder, () -> !responses.isEmpty() || holding());
        rt.upstreamSasl.probeOnce(rt, client.eventLoop(), client, rt.bootstrapServers);
        List<HostPort> candidates = target.candidates();
        if (candidates.isEmpty()) {
            LOG.warn("cluster {}: no upstream broker known for a connection to {}; closing it", rt.config.clusterId(),
                    client.localAddress());
            client.close();
            return;
        }
        connect(candidates);
    }

    private void connect(List<HostPort> candidates) {
        UpstreamConnector.connect(rt, client.eventLoop(), client, candidates, client::isActive, new BackendHandler(this), ch -> {
            upstream = ch;
            responses.upstreamConnected(upstream);
            if (!client.isActive()) {
                upstream.close();
                return;
            }
            // Whether the brokers require SASL decides what this connection may do: known before it reads.
            rt.upstreamSasl.afterFirstProbe(client.eventLoop(), () -> {
                if (client.isActive()) {
                    reading = true;
                    sasl.start();
                    decoder.maxFrameBytes(sasl.frameLimit());
                    client.config().setAutoRead(upstream.isWritable());
                }
            });
        }, (to, cause) -> {
            LOG.warn("cluster {}: cannot reach upstream {}: {}", rt.config.clusterId(), to, cause.toString());
            client.close();
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (timeouts != null) {
            timeouts.stop();
        }
        if (upstream != null) {
            upstream.close();
        }
        releasePending();
    }

    void upstreamClosed() {
        closeClientAfterFlush();
    }

    void upstreamFailed(Throwable cause) {
        LOG.debug("cluster {}: upstream connection failed", rt.config.clusterId(), cause);
        javax.net.ssl.SSLException tls = sslCause(cause);
        if (tls != null) {
            // A broker certificate the proxy refuses (untrusted, expired, another host's) is a set-up
            // problem the operator must see; clients only see their connection close.
            rt.tlsWarnings.warn(LOG, "cluster " + rt.config.clusterId() + ": TLS to a broker failed, refusing it: " + tls.getMessage());
        }
        if (upstream != null) {
            upstream.close();
        }
        closeClientAfterFlush();
    }

    private static javax.net.ssl.SSLException sslCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException e) {
                return e;
            }
        }
        return null;
    }

    /**
     * Closes the client connection once every response already written has gone out. Nothing else
     * is written: an empty buffer written through the pipeline would pass the length prepender and
     * reach the client as a zero-length frame, which no broker sends and clients fail to parse.
     */
    private void closeClientAfterFlush() {
        if (client == null || !client.isActive()) {
            return;
        }
        client.flush();
        ChannelFuture last = responses.lastWrite();
        if (last == null) {
            client.close();
        } else {
            last.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failed(cause);
    }

    /**
     * Anything thrown while handling a client's frames (oversized, malformed, undecodable, not
     * allowed before authentication) ends this connection only; the proxy and its other connections
     * carry on.
     */
    private void failed(Throwable cause) {
        if (cause instanceof SaslGate.UnauthenticatedRequestException) {
            rt.counters.connectionsClosedUnauthenticated.increment();
            LOG.debug("cluster {}: closing client connection from {}: {}", rt.config.clusterId(), client.remoteAddress(),
                    cause.getMessage());
        } else if (cause instanceof java.io.IOException) {
            LOG.debug("cluster {}: client connection from {} failed: {}", rt.config.clusterId(), client.remoteAddress(),
                    cause.toString());
        } else {
            rt.counters.connectionsClosedBadFrame.increment();
            LOG.info("cluster {}: closing client connection from {}: {}", rt.config.clusterId(), client.remoteAddress(),
                    cause.toString());
        }
        closing = true;
        client.close();
    }

    private void releasePending() {
        responses.close();
        held.forEach(ByteBuf::release);
        held.clear();
    }

    // ---- back-pressure: a side that cannot keep up stops the other side reading ----------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null) {
            upstream.config().setAutoRead(client.isWritable());
        }
    }

    void upstreamWritabilityChanged(boolean writable) {
        client.config().setAutoRead(reading && writable && !holding());
    }

    // ---- requests -------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (closing) {
            frame.release();
            return;
        }
        if (holding()) {
            held.add(frame); // in order, behind the request that waits for the KMS or the broker's SASL answer
            return;
        }
        handle(frame, new KmsWaits(1));
    }

    /** Handles one request frame, which it then owns. */
    private void handle(ByteBuf frame, KmsWaits waits) {
        boolean handedOff = false;
        try {
            handedOff = onRequest(frame, waits);
        } finally {
            if (!handedOff) {
                frame.release();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (upstream != null) {
            upstream.flush();
        }
        client.flush();
    }

    /** Returns true when {@code frame}'s ownership moved on (forwarded as it is, or parked). */
    private boolean onRequest(ByteBuf frame, KmsWaits waits) {
        Frames.RequestStart rs = Frames.requestStart(frame);
        ApiKeys api = rs.api();
        short v = rs.apiVersion();
        switch (sasl.admit(api, v)) {
            case CLOSE:
                throw new SaslGate.UnauthenticatedRequestException(sasl.closeReason(api, v));
            case CONFIRM_FIRST:
                confirmAuthentication(frame);
                return true;
            case PROCESS_THEN_WAIT:
                decoder.maxFrameBytes(sasl.frameLimit());
                forward(frame, rs, api);
                waitingForSasl = true;
                client.config().setAutoRead(false);
                return true;
            default:
                break;
        }
        if (api == null) {
            forward(frame, rs, null); // unknown to us: not advertised, but harmless to pass
            return true;
        }
        if (!HandledVersions.handles(api, v)) {
            if (api == ApiKeys.API_VERSIONS) { // the one API with an error response for this, as from a broker
                answer(rs, api, Frames.response(client.alloc(), rs.correlationId(), (short) 0,
                        LocalResponses.unsupportedApiVersions(), (short) 0));
                return false;
            }
            // What a broker does with a version it does not support: close, without a response.
            throw new Frames.MalformedFrameException(api + " v" + v + " is not supported by this proxy");
        }
        switch (api) {
            case PRODUCE:
                return onProduce(frame, rs, api, waits);
            case FETCH:
                if (rt.isLocked()) {
                    refuseFetch(frame, rs, api);
                    return false;
                }
                forward(frame, rs, api);
                return true;
            case SHARE_FETCH:
            case SHARE_ACKNOWLEDGE:
            case SHARE_GROUP_HEARTBEAT:
                throw new Frames.MalformedFrameException(api + " is not offered by this proxy (share groups are not decrypted)");
            case API_VERSIONS:
                sasl.sawApiVersions(frame);
                forward(frame, rs, api);
                return true;
            default:
                if (KeyTopicGuard.GUARDED.contains(api)) {
                    return guardKeyTopic(frame, rs, api);
                }
                forward(frame, rs, api);
                return true;
        }
    }

    // ---- before SASL authentication (see SaslGate) ------------------------------------------

    /** The broker answered a SaslHandshake or SaslAuthenticate (already queued for the client). */
    private void saslAnswered(ApiKeys api, Errors error) {
        sasl.answered(api, error);
        decoder.maxFrameBytes(sasl.frameLimit());
        if (waitingForSasl && !closing) {
            waitingForSasl = false;
            drainHeld();
        }
    }

    /**
     * Holds {@code frame} (now owned here) and asks the broker whether it has authenticated the
     * connection, with an ApiVersions request of the proxy's own; the frame is handled once the
     * broker says yes.
     */
    private void confirmAuthentication(ByteBuf frame) {
        held.addFirst(frame);
        waitingForSasl = true;
        client.config().setAutoRead(false);
        responses.expectInternal(SaslGate.CONFIRMATION_CORRELATION_ID, ApiKeys.API_VERSIONS, sasl.confirmationVersion(),
                answer -> {
                    Errors error = ResponseQueue.errorCode(answer, ApiKeys.API_VERSIONS, sasl.confirmationVersion());
                    if (sasl.confirmed(error)) {
                        decoder.maxFrameBytes(sasl.frameLimit());
                        waitingForSasl = false;
                        drainHeld();
                    } else {
                        // The broker still expects SASL, and closes the connection; so does the proxy.
                        rt.counters.connectionsClosedUnauthenticated.increment();
                        LOG.debug("cluster {}: closing client connection from {}: a request before the broker authenticated it ({})",
                                rt.config.clusterId(), client.remoteAddress(), error);
                        closeClientAfterFlush();
                    }
                });
        upstream.writeAndFlush(sasl.confirmationRequest(client.alloc()));
    }

    /**
     * Produce: the records are encrypted ({@link ProduceEncryption}), then the request goes on.
     * Returns true when the request is parked until the KMS supplies a missing DEK.
     */
    private boolean onProduce(ByteBuf frame, Frames.RequestStart rs, ApiKeys api, KmsWaits waits) {
        short v = rs.apiVersion();
        int headerLength = Frames.requestHeaderLength(frame, api, v);
        ProduceRequestData req = new ProduceRequestData(Frames.body(frame, headerLength), v);
        boolean acks = req.acks() != 0;
        if (rt.isLocked()) {
            rt.counters.requestsRefusedLocked.increment();
            refuseProduce(rs, api, req, acks, Errors.TOPIC_AUTHORIZATION_FAILED, rt.lockedMessage());
            return false;
        }
        ProduceEncryption.Outcome outcome = produce.encrypt(req, frame, headerLength, v, client.alloc(), waits.allowed());
        if (outcome.pending()) {
            parkProduce(frame, req, waits);
            return true;
        }
        if (outcome.encoded() == null) {
            refuseProduce(rs, api, req, acks, outcome.error(), outcome.message());
        } else if (acks) {
            forward(outcome.encoded(), rs, api);
        } else {
            upstream.write(outcome.encoded()); // acks=0: the broker sends no response, so none is awaited
        }
        return false;
    }

    /**
     * Parks a produce whose records need DEKs the cache is still getting: stops reading from the
     * client (later requests wait behind this one), asks for the DEKs of every topic in the request
     * at once, and redoes the request when they are there or {@code kmsWait} has passed.
     */
    private void parkProduce(ByteBuf frame, ProduceRequestData req, KmsWaits waits) {
        produce.prepare(req, waits);
        parked = true;
        client.config().setAutoRead(false);
        rt.counters.requestsWaitedForKms.increment();
        waits.whenReady(client.eventLoop(), rt.config.kmsWait(), () -> resumeProduce(frame, waits));
    }

    private void resumeProduce(ByteBuf frame, KmsWaits waits) {
        parked = false;
        if (closing) {
            frame.release();
            return;
        }
        Throwable failure = waits.firstFailure();
        if (failure != null) {
            // The KMS answered no: say so now rather than asking again straight away.
            try {
                Frames.RequestStart rs = Frames.requestStart(frame);
                short v = rs.apiVersion();
                ProduceRequestData req = new ProduceRequestData(Frames.body(frame, Frames.requestHeaderLength(frame, rs.api(), v)), v);
                ProduceEncryption.Outcome refused = produce.refusedBy(failure);
                refuseProduce(rs, rs.api(), req, req.acks() != 0, refused.error(), refused.message());
            } finally {
                frame.release();
            }
        } else {
            try {
                handle(frame, waits.next());
            } catch (RuntimeException e) {
                failed(e);
                return;
            }
        }
        drainHeld();
    }

    /** Handles the frames held meanwhile, in order, until one is held again; then reads from the client again. */
    private void drainHeld() {
        while (!holding() && !closing && !held.isEmpty()) {
            try {
                handle(held.poll(), new KmsWaits(1));
            } catch (RuntimeException e) {
                failed(e); // not inside the client's pipeline here, so nobody else would close it
                return;
            }
        }
        if (!holding() && !closing) {
            client.config().setAutoRead(upstream == null || upstream.isWritable());
            flushBoth();
        }
    }

    private void flushBoth() {
        if (upstream != null) {
            upstream.flush();
        }
        client.flush();
    }

    private void refuseProduce(Frames.RequestStart rs, ApiKeys api, ProduceRequestData req, boolean acks, Errors error,
                               String message) {
        if (!acks) {
            // No response exists for acks=0; like a broker, close the connection so the client notices.
            closeClientAfterFlush();
            return;
        }
        short v = rs.apiVersion();
        answer(rs, api, Frames.response(client.alloc(), rs.correlationId(), api.responseHeaderVersion(v),
                LocalResponses.produceError(req, error, message), v));
    }

    private void refuseFetch(ByteBuf frame, Frames.RequestStart rs, ApiKeys api) {
        rt.counters.requestsRefusedLocked.increment();
        short v = rs.apiVersion();
        FetchRequestData req = new FetchRequestData(Frames.body(frame, Frames.requestHeaderLength(frame, api, v)), v);
        answer(rs, api, Frames.response(client.alloc(), rs.correlationId(), api.responseHeaderVersion(v),
                LocalResponses.fetchError(req, Errors.TOPIC_AUTHORIZATION_FAILED), v));
    }

    /** Passes an admin request on unless it names Keyhold's key topic ({@link KeyTopicGuard}); true when passed on. */
    private boolean guardKeyTopic(ByteBuf frame, Frames.RequestStart rs, ApiKeys api) {
        short v = rs.apiVersion();
        Message refusal = KeyTopicGuard.refusal(api, v, Frames.body(frame, Frames.requestHeaderLength(frame, api, v)), rt.topicNames);
        if (refusal == null) {
            forward(frame, rs, api);
            return true;
        }
        rt.counters.keyTopicRequestsRefused.increment();
        answer(rs, api, Frames.response(client.alloc(), rs.correlationId(), api.responseHeaderVersion(v), refusal, v));
        return false;
    }

    /** Sends {@code frame} to the broker; its response is expected in order. */
    private void forward(ByteBuf frame, Frames.RequestStart rs, ApiKeys api) {
        responses.expectFromBroker(rs, api);
        upstream.write(frame);
    }

    /** Queues a response the proxy made itself. */
    private void answer(Frames.RequestStart rs, ApiKeys api, ByteBuf response) {
        responses.answer(rs, api, response);
    }

    // ---- responses ------------------------------------------------------------------------

    void onUpstreamResponse(ByteBuf frame) {
        responses.fromBroker(frame);
    }

    void flushToClient() {
        client.flush();
    }
}
