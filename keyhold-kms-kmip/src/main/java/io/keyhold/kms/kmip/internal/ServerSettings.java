package io.keyhold.kms.kmip.internal;

import io.keyhold.common.tls.PemKeyStore;
import io.keyhold.kms.KmsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * One configured KMIP server, from {@code kms.kmip.<server>.*}: {@code address} (host:port; KMIP's
 * port is 5696), {@code client-cert} and {@code client-key} (PEM files: Keyhold's identity to the
 * server, mutual TLS), {@code ca} (PEM file of the CA certificates that sign the server's
 * certificate; nothing else is trusted), and for the whole provider {@code timeout-ms}.
 */
public record ServerSettings(String name, String host, int port, SSLContext tls, Duration timeout) {
    public static final int DEFAULT_PORT = 5696;

    public static ServerSettings read(String server, KmsConfig config) {
        String prefix = server + ".";
        String address = config.get(prefix + "address").orElseThrow(() -> new IllegalArgumentException("no KMIP server '" + server
                + "' is configured: set kms.kmip." + server + ".address, .client-cert, .client-key and .ca"));
        String host = address;
        int port = DEFAULT_PORT;
        int colon = address.lastIndexOf(':');
        if (colon > 0 && !address.endsWith("]")) {
            host = address.substring(0, colon);
            try {
                port = Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (port < 1 || port > 65535 || host.isBlank()) {
            throw new IllegalArgumentException("kms.kmip." + server + ".address must be host or host:port, got '" + address + "'");
        }
        Path cert = requiredFile(config, prefix + "client-cert");
        Path key = requiredFile(config, prefix + "client-key");
        Path ca = requiredFile(config, prefix + "ca");
        Duration timeout = Duration.ofMillis(config.integer("timeout-ms", 10_000, 100, 600_000));
        return new ServerSettings(server, host, port, tls(cert, key, ca, server), timeout);
    }

    private static Path requiredFile(KmsConfig config, String name) {
        Path p = config.path(name).orElseThrow(() -> new IllegalArgumentException("KMS setting 'kms.kmip." + name + "' is required"));
        if (!Files.isReadable(p)) {
            throw new IllegalArgumentException("kms.kmip." + name + ": cannot read " + p);
        }
        return p;
    }

    private static SSLContext tls(Path cert, Path key, Path ca, String server) {
        char[] password = new char[0];
        try {
            KeyStore identity = PemKeyStore.load(cert, key, password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(identity, password);
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            Collection<? extends Certificate> cas;
            try (InputStream in = Files.newInputStream(ca)) {
                cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (cas.isEmpty()) {
                throw new IllegalArgumentException("kms.kmip." + server + ".ca: " + ca + " holds no PEM certificate");
            }
            int i = 0;
            for (Certificate c : cas) {
                trusted.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the TLS settings of KMIP server '" + server + "' do not load: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "KMIP server '" + name + "' (" + host + ":" + port + ")";
    }
}
