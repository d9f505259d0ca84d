package io.keyhold.proxy.internal;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DekPendingException;
import io.keyhold.kms.KmsDeniedException;
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
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
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
    private final ResponseRewriter rewriter;
    private final ArrayDeque<PendingResponse> pending = new ArrayDeque<>();
    private Channel client;
    private Channel upstream;
    private boolean closing;
    /** A request is parked waiting for the KMS: frames that arrive meanwhile wait in {@link #held}. */
    private boolean parked;
    private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
    /** The latest write to the client; it completes only after every earlier one. */
    private ChannelFuture lastClientWrite;

    public FrontendHandler(ProxyRuntime rt, UpstreamTarget target) {
        this.rt = rt;
        this.target = target;
        this.rewriter = new ResponseRewriter(rt);
    }

    // ---- connection set-up and tear-down -------------------------------------------------

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        client.config().setAutoRead(false); // nothing to forward to until the broker connection is up
        rt.counters.connectionsAccepted.increment();
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
        if (lastClientWrite == null) {
            client.close();
        } else {
            lastClientWrite.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Anything thrown while reading a client's frames (oversized, malformed, undecodable) ends
        // this connection only; the proxy and its other connections carry on.
        if (cause instanceof java.io.IOException) {
            LOG.debug("cluster {}: client connection from {} failed: {}", rt.config.clusterId(), ctx.channel().remoteAddress(),
                    cause.toString());
        } else {
            rt.counters.connectionsClosedBadFrame.increment();
            LOG.info("cluster {}: closing client connection from {}: {}", rt.config.clusterId(), ctx.channel().remoteAddress(),
                    cause.toString());
        }
        ctx.close();
    }

    private void releasePending() {
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
        client.config().setAutoRead(writable && !parked);
    }

    // ---- requests -------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (closing) {
            frame.release();
            return;
        }
        if (parked) {
            held.add(frame); // in order, behind the request that waits for the KMS
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
        if (api == null) {
            forward(frame, rs, null); // unknown to us: not advertised, but harmless to pass
            return true;
        }
        short v = rs.apiVersion();
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
            default:
                forward(frame, rs, api);
                return true;
        }
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
                            RebuiltRecords out = rt.encryption.encrypt(topic, (MemoryRecords) p.records());
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
                message = KMS_UNAVAILABLE;
            } catch (KmsException | CryptoException | CorruptRecordException | IllegalArgumentException e) {
                error = produceError(e);
                message = produceMessage(e);
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

    private static final String KMS_UNAVAILABLE = "Keyhold: the KMS did not supply a data key in time; retry";

    /** The Kafka error a produce gets for a failure to encrypt its records. */
    private static Errors produceError(Throwable e) {
        if (e instanceof KmsDeniedException) {
            return Errors.TOPIC_AUTHORIZATION_FAILED;
        }
        if (e instanceof KmsException) {
            return Errors.REQUEST_TIMED_OUT;
        }
        return e instanceof CorruptRecordException ? Errors.CORRUPT_MESSAGE : Errors.INVALID_RECORD;
    }

    /**
     * What the client is told. KMS error text (key ARNs, account ids, role names) goes to the log
     * under a reference the client's message carries, never to the client.
     */
    private String produceMessage(Throwable e) {
        if (e instanceof KmsException) {
            rt.counters.kmsFailures.increment();
            String ref = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
            LOG.warn("cluster {}: produce refused [ref {}]: the KMS failed: {}", rt.config.clusterId(), ref, e.getMessage());
            return (e instanceof KmsDeniedException ? "Keyhold: the KMS refused the cluster's key" : KMS_UNAVAILABLE)
                    + " (see the proxy log, ref " + ref + ")";
        }
        String message = e instanceof CorruptRecordException ? "Keyhold: " + e.getMessage()
                : "Keyhold: cannot encrypt the records: " + e.getMessage();
        LOG.warn("cluster {}: produce refused: {}", rt.config.clusterId(), message);
        return message;
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
        whenReady(waits, () -> resumeProduce(frame, waits));
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
                refuseProduce(rs, rs.api(), req, req.acks() != 0, produceError(failure), produceMessage(failure));
            } finally {
                frame.release();
            }
        } else {
            handle(frame, new KmsWaits(waits.attempt() + 1));
        }
        while (!parked && !closing && !held.isEmpty()) {
            handle(held.poll(), new KmsWaits(1));
        }
        if (!parked && !closing) {
            client.config().setAutoRead(upstream == null || upstream.isWritable());
            flushBoth();
        }
    }

    /**
     * Runs {@code then} on this connection's event loop once every stage of {@code waits} is done,
     * or once {@code kmsWait} has passed, whichever comes first; exactly once.
     */
    private void whenReady(KmsWaits waits, Runnable then) {
        boolean[] done = new boolean[1];
        Runnable once = () -> {
            if (!done[0]) {
                done[0] = true;
                then.run();
            }
        };
        var timer = client.eventLoop().schedule(once, rt.config.kmsWait().toNanos(), TimeUnit.NANOSECONDS);
        CompletableFuture<Void> all = waits.allReady();
        all.whenComplete((v, e) -> client.eventLoop().execute(() -> {
            timer.cancel(false);
            once.run();
        }));
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
        pending.add(new PendingResponse(rs.correlationId(), api, rs.apiVersion(), true));
        upstream.write(frame);
    }

    /** Queues a response the proxy made itself. */
    private void answer(Frames.RequestStart rs, ApiKeys api, ByteBuf response) {
        PendingResponse p = new PendingResponse(rs.correlationId(), api, rs.apiVersion(), false);
        p.response = response;
        pending.add(p);
        drain();
    }

    // ---- responses ------------------------------------------------------------------------

    void onUpstreamResponse(ByteBuf frame) {
        PendingResponse p = oldestAwaitingBroker();
        if (p == null || frame.readableBytes() < 4 || frame.getInt(frame.readerIndex()) != p.correlationId) {
            frame.release();
            LOG.warn("cluster {}: broker response does not match any request; closing the connection", rt.config.clusterId());
            upstream.close();
            return;
        }
        p.brokerAnswered = true;
        if (p.api != null && ResponseRewriter.rewrites(p.api, p.version)) {
            rewriteResponse(p, frame, new KmsWaits(1));
        } else {
            p.response = frame;
        }
        drain();
    }

    /** Rewrites (and decrypts) a broker response, which it then owns; parks it while DEKs are missing. */
    private void rewriteResponse(PendingResponse p, ByteBuf frame, KmsWaits waits) {
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
                    whenReady(waits, () -> resumeResponse(p, waits));
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

    private void resumeResponse(PendingResponse p, KmsWaits waits) {
        ByteBuf frame = p.waitingFrame;
        if (frame == null || closing) {
            return; // the connection closed meanwhile and released it
        }
        p.waitingFrame = null;
        rewriteResponse(p, frame, new KmsWaits(waits.attempt() + 1));
        drain();
        client.flush();
    }

    private PendingResponse oldestAwaitingBroker() {
        for (Iterator<PendingResponse> it = pending.iterator(); it.hasNext(); ) {
            PendingResponse p = it.next();
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

    void flushToClient() {
        client.flush();
    }
}
