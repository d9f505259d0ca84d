package io.keyhold.proxy;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * TLS for one side of the proxy, from PEM files.
 *
 * <p>For the client side (the proxy's listeners), {@code certificateChain} and {@code privateKey}
 * are the proxy's own certificate and unencrypted key; {@code clientAuth} says whether clients must
 * present a certificate, and {@code trustedCertificates} holds the CAs their certificates must be
 * signed by (required unless {@code clientAuth} is {@link ClientAuth#NONE}).
 * For the upstream side (proxy to brokers), {@code trustedCertificates} holds the CAs to trust
 * (null: the JDK's default trust store) and the certificate/key pair, if given, is a client
 * certificate for mutual TLS; {@code clientAuth} is unused. The brokers' host names are always
 * verified against their certificates.
 */
public record TlsSettings(Path certificateChain, Path privateKey, Path trustedCertificates, ClientAuth clientAuth) {
    /** Whether a listener asks clients for a certificate. */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** Asked for; a client may go without one, but one it presents must be trusted. */
        REQUESTED,
        /** A client without a trusted certificate is refused at the handshake. */
        REQUIRED;

        /** {@code none}, {@code requested} or {@code required}, as the configuration spells it. */
        public static ClientAuth parse(String value) {
            for (ClientAuth a : values()) {
                if (a.configName().equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return a;
                }
            }
            throw new IllegalArgumentException("'client-auth' must be none, requested or required, got '" + value + "'");
        }

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TlsSettings {
        clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
    }

    /** Settings without client authentication (the upstream side, or a listener that asks for no client certificate). */
    public TlsSettings(Path certificateChain, Path privateKey, Path trustedCertificates) {
        this(certificateChain, privateKey, trustedCertificates, ClientAuth.NONE);
    }

    /** Listener TLS with the proxy's certificate chain and key. */
    public static TlsSettings server(Path certificateChain, Path privateKey) {
        return server(certificateChain, privateKey, ClientAuth.NONE, null);
    }

    /**
     * Listener TLS with the proxy's certificate chain and key, asking clients for certificates signed
     * by a CA of {@code trustedCertificates}.
     *
     * @throws IllegalArgumentException when client certificates are asked for without a CA to check them
     *                                  against, or a CA is given that would never be used
     */
    public static TlsSettings server(Path certificateChain, Path privateKey, ClientAuth clientAuth, Path trustedCertificates) {
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        ClientAuth auth = clientAuth == null ? ClientAuth.NONE : clientAuth;
        if (auth != ClientAuth.NONE && trustedCertificates == null) {
            throw new IllegalArgumentException("'client-auth: " + auth.configName() + "' needs 'trust': the CA file client"
                    + " certificates must be signed by");
        }
        if (auth == ClientAuth.NONE && trustedCertificates != null) {
            // Silently ignoring it would leave an operator believing clients are checked.
            throw new IllegalArgumentException("'trust' is set but 'client-auth' is none, so no client certificate would be"
                    + " checked; set 'client-auth: required' (or 'requested'), or remove 'trust'");
        }
        return new TlsSettings(certificateChain, privateKey, trustedCertificates, auth);
    }

    /** Upstream TLS trusting the given CA file (null: the JDK's default trust store). */
    public static TlsSettings client(Path trustedCertificates) {
        return new TlsSettings(null, null, trustedCertificates);
    }
}
