package io.keyhold.proxy.internal;

import io.keyhold.proxy.ProxyConfig.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * Asks a broker, on a connection of the proxy's own, whether its listener requires SASL: it sends
 * a SaslHandshake (mechanism PLAIN) and reads the error code. A SASL listener accepts it
 * ({@code NONE}) or names its mechanisms ({@code UNSUPPORTED_SASL_MECHANISM}); any other listener
 * answers {@code ILLEGAL_SASL_STATE}. The connection is closed right after, before any
 * authentication, so the broker authenticates nobody and no credentials are involved.
 */
final class SaslProbe extends ChannelInboundHandlerAdapter {
    /** What the broker said: true (SASL), false (no SASL), or null (no answer). */
    private final CompletableFuture<Boolean> answer = new CompletableFuture<>();

    private SaslProbe() {
    }

    /** Asks the first of {@code servers} that can be reached; never fails, completes with null when none answered. */
    static CompletableFuture<Boolean> ask(ProxyRuntime rt, EventLoop loop, Channel like, List<HostPort> servers) {
        SaslProbe probe = new SaslProbe();
        UpstreamConnector.connect(rt, loop, like, servers, () -> true, probe, ch -> {
            ch.writeAndFlush(request(ch));
            loop.schedule(() -> probe.done(ch, null), 10, TimeUnit.SECONDS);
        }, (to, cause) -> probe.answer.complete(null));
        return probe.answer;
    }

    private static ByteBuf request(Channel ch) {
        byte[] mechanism = "PLAIN".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // header v1: api key, version 1, correlation id, null client id; body: the mechanism as a string
        return ch.alloc().heapBuffer(12 + mechanism.length).writeShort(ApiKeys.SASL_HANDSHAKE.id).writeShort(1).writeInt(1)
                .writeShort(-1).writeShort(mechanism.length).writeBytes(mechanism);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            Errors error = ResponseQueue.errorCode(frame, ApiKeys.SASL_HANDSHAKE, (short) 1);
            done(ctx.channel(), error == Errors.NONE || error == Errors.UNSUPPORTED_SASL_MECHANISM ? Boolean.TRUE
                    : error == Errors.ILLEGAL_SASL_STATE ? Boolean.FALSE : null);
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        answer.complete(null);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        done(ctx.channel(), null);
    }

    private void done(Channel ch, Boolean sasl) {
        answer.complete(sasl);
        ch.close();
    }
}
