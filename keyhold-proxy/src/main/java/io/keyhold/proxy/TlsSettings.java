package io.keyhold.proxy;

import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for one side of the proxy, from PEM files.
 *
 * <p>For the client side (the proxy's listeners), {@code certificateChain} and {@code privateKey}
 * are the proxy's own certificate and unencrypted PKCS#8 key; {@code trustedCertificates} is unused.
 * For the upstream side (proxy to brokers), {@code trustedCertificates} holds the CAs to trust
 * (null: the JDK's default trust store) and the certificate/key pair, if given, is a client
 * certificate for mutual TLS.
 */
public record TlsSettings(Path certificateChain, Path privateKey, Path trustedCertificates) {
    /** Listener TLS with the proxy's certificate chain and key. */
    public static TlsSettings server(Path certificateChain, Path privateKey) {
        return new TlsSettings(Objects.requireNonNull(certificateChain, "certificateChain"),
                Objects.requireNonNull(privateKey, "privateKey"), null);
    }

    /** Upstream TLS trusting the given CA file (null: the JDK's default trust store). */
    public static TlsSettings client(Path trustedCertificates) {
        return new TlsSettings(null, null, trustedCertificates);
    }
}
