package io.keyhold.proxy.internal;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DekPendingException;
import io.keyhold.kms.KmsException;
import io.keyhold.proxy.ProxyConfig.HostPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
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
    private final ProduceErrors produceErrors;
    private final SaslGate sasl;
    private Channel client;
    private Channel upstream;
    private SizedFrameDecoder decoder;
    private ClientTimeouts timeouts;
    private boolean closing;
    /** A request is parked waiting for the KMS: frames that arrive meanwhile wait in {@link #held}. */
    private boolean parked;
    /** A SASL request, or the proxy's question whether the client is authenticated, awaits the broker's answer: same. */
    private boolean waitingForSasl;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();

    public FrontendHandler(ProxyRuntime rt, UpstreamTarget target) {
        this.rt = rt;
        this.target = target;
        this.responses = new ResponseQueue(rt, this::saslAnswered);
        this.produceErrors = new ProduceErrors(rt);
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
        List<HostPort> candidates = target.candidates();
        if (candidates.isEmpty()) {
            LOG.warn("cluster {}: no upstream broker known for a connection to {}; closing it", rt.config.clusterId(),
                    client.localAddress());
            client.close();
            return;
        }
        connect(candidates, 0);
    }

    private void connect(List<HostPort> candidates, int index) {
        HostPort to = candidates.get(index);
        Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, client.config().getAllocator())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, client.config().getWriteBufferWaterMark())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (rt.upstreamSsl != null) {
                            ch.pipeline().addLast(rt.upstreamSsl.newHandler(ch.alloc(), to.host(), to.port()));
                        }
                        ch.pipeline().addLast(new SizedFrameDecoder(Integer.MAX_VALUE, Integer.MAX_VALUE)); // the broker is trusted
                        ch.pipeline().addLast(new LengthFieldPrepender(4));
                        ch.pipeline().addLast(new BackendHandler(FrontendHandler.this));
                    }
                });
        b.connect(to.host(), to.port()).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                upstream = f.channel();
                responses.upstreamConnected(upstream);
                if (!client.isActive()) {
                    upstream.close();
                    return;
                }
                client.config().setAutoRead(true);
            } else if (index + 1 < candidates.size() && client.isActive()) {
                connect(candidates, index + 1);
            } else {
                LOG.warn("cluster {}: cannot reach upstream {}: {}", rt.config.clusterId(), to, f.cause().toString());
                client.close();
            }
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
        if (upstream != null) {
            upstream.close();
        }
        closeClientAfterFlush();
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
        if (cause instanceof UnauthenticatedRequestException) {
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
        client.config().setAutoRead(writable && !holding());
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
                throw new UnauthenticatedRequestException(sasl.closeReason(api, v));
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
                forward(frame, rs, api);
                return true;
        }
    }

    // ---- before SASL authentication (see SaslGate) ------------------------------------------

    /** A request the broker would close the connection for: before authentication. */
    static final class UnauthenticatedRequestException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnauthenticatedRequestException(String message) {
            super(message);
        }
    }

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
     * <b>Produce: every partition's records are encrypted here</b>, then the request goes on.
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
        Errors error = Errors.NONE;
        String message = null;
        List<RebuiltRecords> encrypted = new ArrayList<>();
        DecompressionBudget budget = rt.encryption.newBudget();
        try {
            try {
                for (ProduceRequestData.TopicProduceData t : req.topicData()) {
                    String topic = rt.topicNames.resolve(t.name(), t.topicId());
                    if (topic == null) {
                        error = Errors.UNKNOWN_TOPIC_ID;
                        message = "the proxy does not know this topic id yet; refresh metadata";
                        break;
                    }
                    for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                        if (p.records() instanceof MemoryRecords) {
                            RebuiltRecords out = rt.encryption.encrypt(topic, (MemoryRecords) p.records(), budget);
                            encrypted.add(out);
                            p.setRecords(out);
                        }
                    }
                }
            } catch (DekPendingException e) {
                if (waits.allowed()) {
                    parkProduce(frame, req, waits);
                    return true;
                }
                error = Errors.REQUEST_TIMED_OUT;
                message = ProduceErrors.KMS_UNAVAILABLE;
            } catch (KmsException | CryptoException | CorruptRecordException | IllegalArgumentException e) {
                error = ProduceErrors.error(e);
                message = produceErrors.message(e);
            }
            if (error != Errors.NONE) {
                refuseProduce(rs, api, req, acks, error, message);
                return false;
            }
            ByteBuf out = Frames.withBody(client.alloc(), frame, headerLength, req, v, !encrypted.isEmpty());
            if (acks) {
                forward(out, rs, api);
            } else {
                upstream.write(out); // acks=0: the broker sends no response, so none is awaited
            }
            return false;
        } finally {
            encrypted.forEach(RebuiltRecords::release); // the encoded frame holds its own references
        }
    }

    /**
     * Parks a produce whose records need DEKs the cache is still getting: stops reading from the
     * client (later requests wait behind this one), asks for the DEKs of every topic in the request
     * at once, and redoes the request when they are there or {@code kmsWait} has passed.
     */
    private void parkProduce(ByteBuf frame, ProduceRequestData req, KmsWaits waits) {
        for (ProduceRequestData.TopicProduceData t : req.topicData()) {
            String topic = rt.topicNames.resolve(t.name(), t.topicId());
            if (topic != null) {
                waits.add(rt.encryption.prepare(topic));
            }
        }
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
                refuseProduce(rs, rs.api(), req, req.acks() != 0, ProduceErrors.error(failure), produceErrors.message(failure));
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
