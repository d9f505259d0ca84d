package io.keyhold.embedded.internal;

import io.keyhold.common.tls.PemKeyStore;
import io.keyhold.proxy.TlsSettings;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * TLS for the readiness probe of cluster endpoints that serve TLS. The probe dials the endpoint's
 * bound address on this machine, so it trusts exactly the endpoint's own certificate (not a CA, no
 * host name, which names the public address). Where client certificates are asked for, it presents
 * the endpoint's own certificate, which the proxy accepts as a client certificate besides those of
 * its trusted CAs (only a holder of the endpoint's key can present it).
 */
public final class ProbeTls {
    private ProbeTls() {
    }

    /** The probe's sockets for endpoints with {@code tls}, or null when they are plaintext. */
    public static SSLSocketFactory socketFactory(TlsSettings tls) {
        if (tls == null) {
            return null;
        }
        try {
            KeyManager[] keys = null;
            if (tls.clientAuth() != TlsSettings.ClientAuth.NONE) {
                X509ExtendedKeyManager own = (X509ExtendedKeyManager) PemKeyStore.keyManagers(tls.certificateChain(), tls.privateKey())
                        .getKeyManagers()[0];
                keys = new KeyManager[] {new AlwaysOwnCertificate(own)};
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys, PemKeyStore.trustManagers(tls.certificateChain()).getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS for the readiness probe: " + e.getMessage(), e);
        }
    }

    /**
     * Offers the endpoint's own certificate whatever CAs the server names: the JDK would otherwise
     * offer only certificates those CAs issued, and the endpoint's own need not be one of them.
     */
    private static final class AlwaysOwnCertificate extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager own;

        AlwaysOwnCertificate(X509ExtendedKeyManager own) {
            this.own = own;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return PemKeyStore.ALIAS;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return PemKeyStore.ALIAS;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {PemKeyStore.ALIAS};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return own.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return own.getPrivateKey(alias);
        }
    }
}
