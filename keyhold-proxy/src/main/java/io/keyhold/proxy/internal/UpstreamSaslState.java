package io.keyhold.proxy.internal;

import io.keyhold.proxy.UpstreamSasl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one proxy knows about its brokers and SASL: required (configured, or learnt from a broker's
 * answer to a handshake), or not known to be. Learning only ever goes one way, towards required:
 * the listener a proxy talks to does not drop SASL while it runs. Thread-safe.
 */
public final class UpstreamSaslState {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamSaslState.class);

    private final String clusterId;
    private volatile boolean required;

    public UpstreamSaslState(String clusterId, UpstreamSasl mode) {
        this.clusterId = clusterId;
        this.required = mode == UpstreamSasl.REQUIRED;
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
}
