package io.keyhold.server.internal.http;

import io.keyhold.common.PemKeyStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS from a PEM certificate and key, re-read when the files change: before each new connection
 * the files' modification time, size and identity are compared with those last loaded (a few
 * microseconds, against a handshake's milliseconds), so that a renewed certificate is served from the
 * next connection on, without a restart and without a watcher thread. A change that cannot be loaded
 * (a half-written pair, a key that does not match) is logged once and the previous certificate stays
 * in use until the files change again.
 */
final class ReloadingTls {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingTls.class);

    private final Path certFile;
    private final Path keyFile;
    /** Protects the in-memory key store only: it never leaves this process. */
    private final char[] password;
    private final SslContextFactory.Server contextFactory = new SslContextFactory.Server();
    private List<Stamp> tried;

    /** What identifies one version of a file: a replaced file differs in at least one of these. */
    private record Stamp(Object fileKey, long modifiedNanos, long size) {
    }

    /** Loads the files now: a server given unusable files does not start. */
    ReloadingTls(Path certFile, Path keyFile) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        this.password = Base64.getEncoder().encodeToString(random).toCharArray();
        this.tried = stamps();
        KeyStore ks = PemKeyStore.load(certFile, keyFile, password);
        contextFactory.setKeyStore(ks);
        contextFactory.setKeyStorePassword(new String(password));
        contextFactory.setKeyManagerPassword(new String(password));
        contextFactory.setCertAlias(PemKeyStore.ALIAS);
        LOG.info("TLS certificate loaded from {}: {}", certFile, describe(ks));
    }

    /** A connector that speaks only HTTPS on {@code host:port}. */
    ServerConnector connector(Server server, HttpConfiguration plain, String host, int port) {
        HttpConfiguration https = new HttpConfiguration(plain);
        https.addCustomizer(new SecureRequestCustomizer());
        ServerConnector connector = new ServerConnector(server, new ReloadingSslConnectionFactory(), new HttpConnectionFactory(https));
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    /** Loads the files again if they changed since the last attempt. */
    synchronized void reloadIfChanged() {
        List<Stamp> now = stamps();
        if (now.equals(tried)) {
            return;
        }
        tried = now;
        try {
            KeyStore ks = PemKeyStore.load(certFile, keyFile, password);
            contextFactory.reload(f -> f.setKeyStore(ks));
            LOG.info("TLS certificate reloaded from {}: {}", certFile, describe(ks));
        } catch (Exception e) {
            LOG.warn("TLS certificate files changed but cannot be loaded, still serving the previous certificate: {}", e.getMessage());
        }
    }

    private List<Stamp> stamps() {
        return List.of(stamp(certFile), stamp(keyFile));
    }

    private static Stamp stamp(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.fileKey(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size());
        } catch (IOException e) {
            return new Stamp(null, -1, -1); // missing for now (being replaced): a change, tried again on the next one
        }
    }

    private static String describe(KeyStore ks) {
        try {
            X509Certificate cert = (X509Certificate) Objects.requireNonNull(ks.getCertificate(PemKeyStore.ALIAS));
            return cert.getSubjectX500Principal().getName() + ", valid until " + cert.getNotAfter().toInstant();
        } catch (KeyStoreException e) {
            return "(unreadable)";
        }
    }

    /** Checks the files before each new connection's handshake. */
    private final class ReloadingSslConnectionFactory extends SslConnectionFactory {
        ReloadingSslConnectionFactory() {
            super(contextFactory, HttpVersion.HTTP_1_1.asString());
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            reloadIfChanged();
            return super.newConnection(connector, endPoint);
        }
    }
}
