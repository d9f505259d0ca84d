package io.keyhold.proxy.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Client certificates a listener accepts: those its trust managers accept (chain to a CA of the
 * listener's trust file, valid now, meant for clients), and the listener's own certificate, which
 * only a holder of its private key can present: {@code keyhold server}'s readiness probe does. The
 * own certificate is compared byte for byte, so its key usage (often server-only) does not matter.
 */
final class OwnCertificateTrust extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager trusted;
    private final X509Certificate own;

    private OwnCertificateTrust(X509ExtendedTrustManager trusted, X509Certificate own) {
        this.trusted = trusted;
        this.own = own;
    }

    /** {@code factory}'s trust manager, also accepting {@code own} as a client certificate. */
    static TrustManager of(TrustManagerFactory factory, X509Certificate own) {
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return new OwnCertificateTrust(x, own);
            }
        }
        throw new IllegalStateException("the JDK offers no X.509 trust manager");
    }

    private boolean isOwn(X509Certificate[] chain) {
        return chain != null && chain.length > 0 && chain[0].equals(own);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        if (!isOwn(chain)) {
            trusted.checkClientTrusted(chain, authType, engine);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        if (!isOwn(chain)) {
            trusted.checkClientTrusted(chain, authType, socket);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (!isOwn(chain)) {
            trusted.checkClientTrusted(chain, authType);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        trusted.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        trusted.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        trusted.checkServerTrusted(chain, authType);
    }

    /** The CAs clients are told about: the trust file's (clients pick a certificate they issued). */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return trusted.getAcceptedIssuers();
    }
}
