package io.keyhold.proxy.internal;

import io.keyhold.crypto.CryptoException;
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
        }
        pending.clear();
    }

    // ---- back-pressure: a side that cannot keep up stops the other side reading ----------

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (upstream != null) {
            upstream.config().setAutoRead(client.isWritable());
        }
    }

    void upstreamWritabilityChanged(boolean writable) {
        client.config().setAutoRead(writable);
    }

    // ---- requests -------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (closing) {
            frame.release();
            return;
        }
        boolean handedOff = false;
        try {
            handedOff = onRequest(frame);
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

    /** Returns true when {@code frame}'s ownership moved on (forwarded as it is). */
    private boolean onRequest(ByteBuf frame) {
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
                onProduce(frame, rs, api);
                return false;
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

    /** <b>Produce: every partition's records are encrypted here</b>, then the request goes on. */
    private void onProduce(ByteBuf frame, Frames.RequestStart rs, ApiKeys api) {
        short v = rs.apiVersion();
        int headerLength = Frames.requestHeaderLength(frame, api, v);
        ProduceRequestData req = new ProduceRequestData(Frames.body(frame, headerLength), v);
        boolean acks = req.acks() != 0;
        if (rt.isLocked()) {
            rt.counters.requestsRefusedLocked.increment();
            refuseProduce(rs, api, req, acks, Errors.TOPIC_AUTHORIZATION_FAILED, rt.lockedMessage());
            return;
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
            } catch (KmsDeniedException e) {
                rt.counters.kmsFailures.increment();
                error = Errors.TOPIC_AUTHORIZATION_FAILED;
                message = "Keyhold: the KMS refused the cluster's key: " + e.getMessage();
            } catch (KmsException e) {
                rt.counters.kmsFailures.increment();
                error = Errors.REQUEST_TIMED_OUT;
                message = "Keyhold: the KMS is unavailable: " + e.getMessage();
            } catch (CorruptRecordException e) {
                error = Errors.CORRUPT_MESSAGE;
                message = "Keyhold: " + e.getMessage();
            } catch (CryptoException | IllegalArgumentException e) {
                error = Errors.INVALID_RECORD;
                message = "Keyhold: cannot encrypt the records: " + e.getMessage();
            }
            if (error != Errors.NONE) {
                LOG.warn("cluster {}: produce refused: {}", rt.config.clusterId(), message);
                refuseProduce(rs, api, req, acks, error, message);
                return;
            }
            ByteBuf out = Frames.withBody(client.alloc(), frame, headerLength, req, v, !encrypted.isEmpty());
            if (acks) {
                forward(out, rs, api);
            } else {
                upstream.write(out); // acks=0: the broker sends no response, so none is awaited
            }
        } finally {
            encrypted.forEach(RebuiltRecords::release); // the encoded frame holds its own references
        }
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
        if (p.api != null && ResponseRewriter.rewrites(p.api, p.version)) {
            try {
                int headerLength = Frames.responseHeaderLength(frame, p.api, p.version);
                List<RebuiltRecords> decrypted = new ArrayList<>();
                try {
                    ApiMessage changed = rewriter.rewrite(p.api, p.version, Frames.body(frame, headerLength), decrypted);
                    p.response = Frames.withBody(client.alloc(), frame, headerLength, changed, p.version, !decrypted.isEmpty());
                } finally {
                    decrypted.forEach(RebuiltRecords::release);
                }
            } catch (RuntimeException e) {
                LOG.warn("cluster {}: cannot process a {} response: {}; closing the connection", rt.config.clusterId(), p.api, e.toString());
                upstream.close();
                return;
            } finally {
                frame.release();
            }
        } else {
            p.response = frame;
        }
        drain();
    }

    private PendingResponse oldestAwaitingBroker() {
        for (Iterator<PendingResponse> it = pending.iterator(); it.hasNext(); ) {
            PendingResponse p = it.next();
            if (p.upstream && p.response == null) {
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
