package io.keyhold.proxy.internal;

import io.keyhold.proxy.ProxyConfig.HostPort;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import java.util.List;
import java.util.function.Consumer;

/**
 * Opens a framed connection to a broker: the first of the candidate addresses that answers, with
 * the proxy's upstream TLS when configured, on the given event loop (a client connection's broker
 * channel shares its loop, so neither needs locks).
 */
final class UpstreamConnector {
    private UpstreamConnector() {
    }

    /**
     * @param handler   the last handler of the broker channel's pipeline (it receives whole frames)
     * @param connected called with the channel once connected
     * @param failed    called with the last address tried and the cause when none could be reached,
     *                  or with null when {@code stillWanted} turned false
     */
    static void connect(ProxyRuntime rt, EventLoop loop, Channel like, List<HostPort> candidates,
                        java.util.function.BooleanSupplier stillWanted, ChannelHandler handler, Consumer<Channel> connected,
                        java.util.function.BiConsumer<HostPort, Throwable> failed) {
        connect(rt, loop, like, candidates, 0, stillWanted, handler, connected, failed);
    }

    private static void connect(ProxyRuntime rt, EventLoop loop, Channel like, List<HostPort> candidates, int index,
                                java.util.function.BooleanSupplier stillWanted, ChannelHandler handler, Consumer<Channel> connected,
                                java.util.function.BiConsumer<HostPort, Throwable> failed) {
        HostPort to = candidates.get(index);
        Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, like.config().getAllocator())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, like.config().getWriteBufferWaterMark())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (rt.upstreamSsl != null) {
                            ch.pipeline().addLast(rt.upstreamSsl.newHandler(ch.alloc(), to.host(), to.port()));
                        }
                        ch.pipeline().addLast(new SizedFrameDecoder(Integer.MAX_VALUE, Integer.MAX_VALUE)); // the broker is trusted
                        ch.pipeline().addLast(new LengthFieldPrepender(4));
                        ch.pipeline().addLast(handler);
                    }
                });
        b.connect(to.host(), to.port()).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                connected.accept(f.channel());
            } else if (index + 1 < candidates.size() && stillWanted.getAsBoolean()) {
                connect(rt, loop, like, candidates, index + 1, stillWanted, handler, connected, failed);
            } else {
                failed.accept(to, f.cause());
            }
        });
    }
}
