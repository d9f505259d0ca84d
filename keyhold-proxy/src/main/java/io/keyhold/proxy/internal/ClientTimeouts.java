package io.keyhold.proxy.internal;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a client connection that began a frame and did not finish it within {@code frameTimeout}
 * (a size prefix announcing 100 MiB, then silence), or that sent nothing for {@code idleTimeout}
 * while owed nothing (Kafka's {@code connections.max.idle.ms}). Time during which the proxy itself
 * does not read from the connection (it waits for the KMS or the broker, or the client does not
 * take its responses) does not count.
 *
 * <p>One timer per connection, on its event loop, looking every half of the shorter timeout (so a
 * connection is closed between one and one and a half timeouts late); nothing on the path of a
 * frame.
 */
final class ClientTimeouts {
    private static final Logger LOG = LoggerFactory.getLogger(ClientTimeouts.class);

    private final ProxyRuntime rt;
    private final Channel client;
    private final SizedFrameDecoder decoder;
    private final BooleanSupplier busy;
    private final long frameTimeoutNanos;
    private final long idleTimeoutNanos;
    /** The last look that found the proxy not reading: both clocks count from no earlier than that. */
    private long lastPaused = -1;
    private final ScheduledFuture<?> timer;

    private ClientTimeouts(ProxyRuntime rt, Channel client, SizedFrameDecoder decoder, BooleanSupplier busy) {
        this.rt = rt;
        this.client = client;
        this.decoder = decoder;
        this.busy = busy;
        this.frameTimeoutNanos = rt.config.limits().frameTimeout().toNanos();
        this.idleTimeoutNanos = rt.config.limits().idleTimeout().toNanos();
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(frameTimeoutNanos, idleTimeoutNanos) / 2);
        this.timer = client.eventLoop().scheduleAtFixedRate(this::look, period, period, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts watching {@code client}.
     *
     * @param busy true while the client is owed a response or its requests are held (not idle then)
     */
    static ClientTimeouts start(ProxyRuntime rt, Channel client, SizedFrameDecoder decoder, BooleanSupplier busy) {
        return new ClientTimeouts(rt, client, decoder, busy);
    }

    void stop() {
        timer.cancel(false);
    }

    private void look() {
        if (!client.isActive()) {
            stop();
            return;
        }
        long now = System.nanoTime();
        if (!client.config().isAutoRead()) {
            lastPaused = now; // the client cannot be late while the proxy does not read from it
            return;
        }
        long since = lastPaused;
        long frameStarted = decoder.frameStartedNanos();
        if (frameStarted != -1 && now - later(frameStarted, since) >= frameTimeoutNanos) {
            rt.counters.connectionsClosedFrameTimeout.increment();
            LOG.debug("cluster {}: closing client connection from {}: a frame begun {} ms ago is still incomplete",
                    rt.config.clusterId(), client.remoteAddress(), TimeUnit.NANOSECONDS.toMillis(now - frameStarted));
            client.close();
        } else if (frameStarted == -1 && !busy.getAsBoolean() && now - later(decoder.lastReadNanos(), since) >= idleTimeoutNanos) {
            rt.counters.connectionsClosedIdle.increment();
            LOG.debug("cluster {}: closing client connection from {}: idle for {} ms", rt.config.clusterId(),
                    client.remoteAddress(), TimeUnit.NANOSECONDS.toMillis(now - decoder.lastReadNanos()));
            client.close();
        }
    }

    private static long later(long a, long b) {
        return b == -1 || a - b >= 0 ? a : b;
    }
}
