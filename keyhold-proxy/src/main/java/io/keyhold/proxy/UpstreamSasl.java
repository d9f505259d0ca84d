package io.keyhold.proxy;

/**
 * Whether the proxy's brokers require SASL, which decides what a client connection may do before
 * it has authenticated (see {@code docs/PROXY.md}, "Before authentication").
 */
public enum UpstreamSasl {
    /**
     * Learnt: a connection whose client starts a SASL handshake is held to SASL's rules, and once a
     * broker has answered a handshake as a SASL listener does, so is every connection after it. A
     * broker without SASL sees no difference.
     */
    DETECT,
    /**
     * The brokers require SASL: from the first byte of every connection, nothing but ApiVersions,
     * SaslHandshake and SaslAuthenticate is processed before the broker has authenticated the client.
     */
    REQUIRED
}
