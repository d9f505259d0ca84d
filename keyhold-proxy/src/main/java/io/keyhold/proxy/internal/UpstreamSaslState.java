package io.keyhold.proxy.internal;

import io.keyhold.proxy.ProxyConfig.HostPort;
import io.keyhold.proxy.UpstreamSasl;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one proxy knows about its brokers and SASL: required (configured, or learnt), or not known
 * to be. With {@link UpstreamSasl#DETECT} it learns from a {@link SaslProbe} when the first client connects (and
 * again every {@link #REPROBE_EVERY_SECONDS} s until a broker has answered), and from every
 * broker's answer to a client's SaslHandshake. Client connections read nothing before the first
 * probe has ended, so none is served on a guess. Learning only ever goes towards required: the
 * listener a proxy talks to does not drop SASL while it runs. Thread-safe.
 */
public final class UpstreamSaslState {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamSaslState.class);
    static final int REPROBE_EVERY_SECONDS = 30;

    private final String clusterId;
    private final boolean detect;
    private volatile boolean required;
    /** Completes when the first probe has ended, whatever it found (at once when nothing is probed). */
    private final CompletableFuture<Void> firstProbe = new CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicBoolean probing = new java.util.concurrent.atomic.AtomicBoolean();

    public UpstreamSaslState(String clusterId, UpstreamSasl mode) {
        this.clusterId = clusterId;
        this.required = mode == UpstreamSasl.REQUIRED;
        this.detect = mode == UpstreamSasl.DETECT;
        if (!detect) {
            firstProbe.complete(null);
        }
    }

    /** Whether every new connection starts held to SASL's rules. */
    boolean required() {
        return required;
    }

    /** A broker answered a SaslHandshake as a SASL listener does. */
    void learnRequired() {
        if (!required) {
            required = true;
            LOG.info("cluster {}: the brokers require SASL; from now on no request but ApiVersions, SaslHandshake and"
                    + " SaslAuthenticate is processed on a connection before the broker has authenticated it", clusterId);
        }
    }

    /**
     * Asks the brokers whether they require SASL, the first time a client connects (with
     * {@link UpstreamSasl#DETECT}; nothing otherwise): only a proxy that is used asks.
     */
    void probeOnce(ProxyRuntime rt, EventLoop loop, Channel like, List<HostPort> servers) {
        if (probing.compareAndSet(false, true)) {
            probe(rt, loop, like, servers);
        }
    }

    private void probe(ProxyRuntime rt, EventLoop loop, Channel like, List<HostPort> servers) {
        if (!detect || required) {
            firstProbe.complete(null);
            return;
        }
        SaslProbe.ask(rt, loop, like, servers).whenComplete((sasl, e) -> {
            if (Boolean.TRUE.equals(sasl)) {
                learnRequired();
            } else if (sasl == null && !required) {
                LOG.warn("cluster {}: could not ask the brokers whether they require SASL; until one answers, a connection is"
                        + " held to SASL's rules only once its client starts a handshake (set upstream-sasl: required to"
                        + " not depend on this); asking again in {} s", clusterId, REPROBE_EVERY_SECONDS);
                loop.schedule(() -> probe(rt, loop, like, servers), REPROBE_EVERY_SECONDS, TimeUnit.SECONDS);
            }
            firstProbe.complete(null);
        });
    }

    /** Runs {@code then} on {@code loop} once the first probe has ended (at once if it has). */
    void afterFirstProbe(EventLoop loop, Runnable then) {
        if (firstProbe.isDone()) {
            then.run();
        } else {
            firstProbe.whenComplete((v, e) -> loop.execute(then));
        }
    }
}
