package io.keyhold.proxy.internal;

import io.keyhold.common.tls.PemKeyStore;
import io.keyhold.proxy.ProxyConfig;
import io.keyhold.proxy.ProxyConfig.HostPort;
import io.keyhold.proxy.TlsSettings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.PreferHeapByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The Netty side of one proxy: the bootstrap listener, one listener per upstream broker (opened
 * when the broker is first seen), and the event loops they run on.
 */
public final class ProxyServer implements AutoCloseable {
    /**
     * Heap buffers, for socket reads too: the JDK reads into a small per-thread direct buffer that
     * stays in cache and copies from there, which measured cheaper (less kernel time) than reading
     * straight into pooled direct buffers spread over the arena. Every frame is then copied once
     * into a heap buffer of its size ({@link SizedFrameDecoder}), and records are encrypted and
     * decrypted through arrays, as the JDK's AES-GCM wants them.
     */
    private static final PooledByteBufAllocator POOL = new PooledByteBufAllocator(false);
    private static final ByteBufAllocator ALLOCATOR = new PreferHeapByteBufAllocator(POOL);
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024);

    private final ProxyConfig config;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final ProxyRuntime runtime;
    private final InetSocketAddress bootstrapAddress;
    private final AtomicInteger nextBootstrap = new AtomicInteger();
    private final ConnectionLimits limits;
    /** Refusals are logged at most once a minute (an attack would flood the log otherwise); the metric counts each. */
    private final java.util.concurrent.atomic.AtomicLong lastRefusalLogged = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - REFUSAL_LOG_EVERY_NANOS);
    private static final long REFUSAL_LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ProxyServer.class);

    /** @param runtimeFactory builds the shared runtime around this server's broker-port registry and TLS contexts */
    public ProxyServer(ProxyConfig config, int workerThreads, Function<Parts, ProxyRuntime> runtimeFactory) {
        this.config = config;
        this.limits = new ConnectionLimits(config.limits().maxConnections(), config.limits().maxConnectionsPerAddress());
        this.acceptors = new NioEventLoopGroup(1, new DefaultThreadFactory("keyhold-proxy-accept-" + config.clusterId(), true));
        this.workers = new NioEventLoopGroup(workerThreads, new DefaultThreadFactory("keyhold-proxy-" + config.clusterId(), true));
        try {
            SslContext clientSsl = serverSsl(config.clientTls());
            SslContext upstreamSsl = clientSsl(config.upstreamTls());
            BrokerPorts ports = new BrokerPorts(config.advertisedHost(), config.brokerPortBase(), this::openBrokerListener);
            this.runtime = runtimeFactory.apply(new Parts(clientSsl, upstreamSsl, ports));
            List<HostPort> bootstrap = new ArrayList<>();
            config.upstreamBootstrap().forEach(s -> bootstrap.add(HostPort.parse(s)));
            Channel ch = bind(config.listenPort(), () -> rotated(bootstrap));
            this.bootstrapAddress = new InetSocketAddress(config.advertisedHost(), ((InetSocketAddress) ch.localAddress()).getPort());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** What the runtime is built from. */
    public record Parts(SslContext clientSsl, SslContext upstreamSsl, BrokerPorts brokerPorts) {
    }

    public InetSocketAddress bootstrapAddress() {
        return bootstrapAddress;
    }

    public ProxyRuntime runtime() {
        return runtime;
    }

    /** The proxy's one buffer pool: sockets, frames, and the record batches it rebuilds. */
    static ByteBufAllocator allocator() {
        return ALLOCATOR;
    }

    /**
     * Pooled buffers in use right now: heap ones, and the direct ones Netty copies writes into (live
     * allocations minus releases, thread caches included); tests use it to spot leaks.
     */
    public static long activeBufferAllocations() {
        return POOL.metric().heapArenas().stream().mapToLong(a -> a.numActiveAllocations()).sum()
                + POOL.metric().directArenas().stream().mapToLong(a -> a.numActiveAllocations()).sum();
    }

    public EventLoopGroup workers() {
        return workers;
    }

    /** Spreads bootstrap connections over the bootstrap servers; later entries are fall-backs. */
    private List<HostPort> rotated(List<HostPort> servers) {
        int start = Math.floorMod(nextBootstrap.getAndIncrement(), servers.size());
        List<HostPort> out = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            out.add(servers.get((start + i) % servers.size()));
        }
        return out;
    }

    private int openBrokerListener(int nodeId, Integer wantedPort) {
        Channel ch = bind(wantedPort == null ? 0 : wantedPort, () -> {
            HostPort upstream = runtime.brokerPorts.upstreamOf(nodeId);
            return upstream == null ? List.of() : List.of(upstream);
        });
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    private Channel bind(int port, FrontendHandler.UpstreamTarget target) {
        ServerBootstrap b = new ServerBootstrap().group(acceptors, workers).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, ALLOCATOR)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Counted here rather than in the handler: every accepted channel passes here
                        // once, and its close future fires exactly once, whatever closes it.
                        if (ch.remoteAddress() == null) {
                            ch.close(); // gone before it was set up
                            return;
                        }
                        java.net.InetAddress from = ch.remoteAddress().getAddress();
                        ConnectionLimits.Refusal refusal = limits.tryAcquire(from);
                        if (refusal != null) {
                            refuse(ch, refusal);
                            return;
                        }
                        runtime.counters.connectionsOpen.increment();
                        ch.closeFuture().addListener(f -> {
                            runtime.counters.connectionsOpen.decrement();
                            limits.release(from);
                        });
                        if (runtime.clientSsl != null) {
                            ch.pipeline().addLast(runtime.clientSsl.newHandler(ch.alloc()));
                        }
                        // An oversized frame fails at once without buffering it; the handler's
                        // exceptionCaught then closes this connection only.
                        ch.pipeline().addLast(new SizedFrameDecoder(config.maxFrameBytes(), SizedFrameDecoder.CLIENT_UPFRONT_BYTES));
                        ch.pipeline().addLast(new LengthFieldPrepender(4));
                        ch.pipeline().addLast(new FrontendHandler(runtime, target));
                    }
                });
        Channel ch = b.bind(config.listenHost(), port).syncUninterruptibly().channel();
        listeners.add(ch);
        return ch;
    }

    /** Closes a connection over a limit at once, before reading anything from it, as a broker does. */
    private void refuse(SocketChannel ch, ConnectionLimits.Refusal refusal) {
        (refusal == ConnectionLimits.Refusal.MAX_CONNECTIONS ? runtime.counters.connectionsRefusedMax
                : runtime.counters.connectionsRefusedPerAddress).increment();
        long now = System.nanoTime();
        long last = lastRefusalLogged.get();
        if (now - last >= REFUSAL_LOG_EVERY_NANOS && lastRefusalLogged.compareAndSet(last, now)) {
            LOG.warn("cluster {}: refusing client connections: {} reached (max-connections {}, max-connections-per-address {});"
                            + " last from {}; further refusals this minute are only counted (keyhold_proxy_connections_refused_total)",
                    config.clusterId(), refusal.label, config.limits().maxConnections(), config.limits().maxConnectionsPerAddress(),
                    ch.remoteAddress().getAddress().getHostAddress());
        }
        ch.close();
    }

    /**
     * The listeners' TLS. Certificate and key are read by {@link PemKeyStore}, as the server's HTTPS
     * reads them. With client authentication, a client's chain must lead to a CA of the trust file
     * (or be the proxy's own certificate, which only a holder of the proxy's key can present: the
     * embedded server's readiness probe does). Validity dates are checked; client host names are not
     * (a client certificate names a client, not an address).
     */
    private static SslContext serverSsl(TlsSettings tls) {
        if (tls == null) {
            return null;
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(PemKeyStore.keyManagers(tls.certificateChain(), tls.privateKey()));
            if (tls.clientAuth() != TlsSettings.ClientAuth.NONE) {
                b.trustManager(OwnCertificateTrust.of(PemKeyStore.trustManagers(tls.trustedCertificates()),
                        PemKeyStore.x509Certificates(tls.certificateChain()).get(0)));
                b.clientAuth(tls.clientAuth() == TlsSettings.ClientAuth.REQUIRED ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up the proxy's listener TLS: " + e.getMessage(), e);
        }
    }

    /** To the brokers: their certificates must chain to the trust file (or the JDK's CAs) and name the host connected to. */
    private static SslContext clientSsl(TlsSettings tls) {
        if (tls == null) {
            return null;
        }
        try {
            // HTTPS endpoint identification: the host name (or IP) the proxy dials must be in the
            // broker certificate's subject alternative names, as Kafka's own clients require by default.
            SslContextBuilder b = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
            if (tls.trustedCertificates() != null) {
                b.trustManager(PemKeyStore.trustManagers(tls.trustedCertificates()));
            }
            if (tls.certificateChain() != null && tls.privateKey() != null) {
                b.keyManager(PemKeyStore.keyManagers(tls.certificateChain(), tls.privateKey()));
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up upstream TLS: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (Channel ch : listeners) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

}
