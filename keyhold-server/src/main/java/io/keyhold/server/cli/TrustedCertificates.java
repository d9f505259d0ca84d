package io.keyhold.server.cli;

import io.keyhold.common.tls.PemKeyStore;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/** A TLS context that trusts exactly the certificates of a PEM file (as curl's --cacert does), with host name checks as usual. */
final class TrustedCertificates {
    private TrustedCertificates() {
    }

    static SSLContext sslContext(Path pemFile) {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, PemKeyStore.trustManagers(pemFile).getTrustManagers(), null);
            return ssl;
        } catch (IllegalArgumentException e) {
            throw new ApiError(2, 0, e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new ApiError(2, 0, "the CA file " + pemFile + " is not a PEM certificate file: " + e.getMessage());
        }
    }
}
