package io.keyhold.kms.azure.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** The TLS context of the provider's connections: the JDK's trusted CAs, plus those of the {@code trust-store} PEM file. */
final class TrustStores {
    private TrustStores() {
    }

    static SSLContext context(Optional<Path> pem) {
        try {
            if (pem.isEmpty()) {
                return SSLContext.getDefault();
            }
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int n = 0;
            for (X509Certificate ca : jdkDefaults().getAcceptedIssuers()) {
                anchors.setCertificateEntry("jdk-" + n++, ca);
            }
            Collection<? extends Certificate> extra = read(pem.get());
            if (extra.isEmpty()) {
                throw new IllegalArgumentException("KMS setting 'trust-store' (" + pem.get() + ") holds no PEM certificate");
            }
            for (Certificate ca : extra) {
                anchors.setCertificateEntry("trust-store-" + n++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("KMS setting 'trust-store' (" + pem.orElse(null) + ") could not be used: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> read(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
    }

    private static X509TrustManager jdkDefaults() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        for (var tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager) {
                return (X509TrustManager) tm;
            }
        }
        throw new GeneralSecurityException("the JDK has no X.509 trust manager");
    }
}
