package io.keyhold.proxy.internal;

import io.keyhold.proxy.ProxyConfig;
import io.netty.handler.ssl.SslContext;

/**
 * What every connection of one proxy shares: its configuration, the record encryption, what it
 * learnt about the cluster (topic names, broker ports) and whether the cluster is locked.
 */
public final class ProxyRuntime {
    final ProxyConfig config;
    final RecordEncryption encryption;
    final TopicNames topicNames = new TopicNames();
    final ProxyCounters counters;
    final SslContext clientSsl;
    final SslContext upstreamSsl;
    final BrokerPorts brokerPorts;
    final UpstreamSaslState upstreamSasl;
    /** The configured bootstrap servers, in order. */
    final java.util.List<ProxyConfig.HostPort> bootstrapServers;
    /** Fetch failures repeat on every fetch of the partition; the log says each once in a while. */
    final RepeatedWarnings fetchWarnings = new RepeatedWarnings();
    /** Refused broker certificates: said once, not once per client connection. */
    final RepeatedWarnings tlsWarnings = new RepeatedWarnings();
    private final java.util.function.BooleanSupplier locked;

    public ProxyRuntime(ProxyConfig config, RecordEncryption encryption, ProxyCounters counters, SslContext clientSsl,
                        SslContext upstreamSsl, BrokerPorts brokerPorts, UpstreamSaslState upstreamSasl,
                        java.util.function.BooleanSupplier locked) {
        this.config = config;
        this.encryption = encryption;
        this.counters = counters;
        this.clientSsl = clientSsl;
        this.upstreamSsl = upstreamSsl;
        this.brokerPorts = brokerPorts;
        this.upstreamSasl = upstreamSasl;
        this.bootstrapServers = config.upstreamBootstrap().stream().map(ProxyConfig.HostPort::parse).toList();
        this.locked = locked;
    }

    boolean isLocked() {
        return locked.getAsBoolean();
    }

    String lockedMessage() {
        return "Keyhold: cluster '" + config.clusterId() + "' is locked because its encryption key cannot be used;"
                + " produce and fetch are refused until access to the key is restored";
    }
}
