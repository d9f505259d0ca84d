package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.common.AtomicFiles;
import io.keyhold.server.support.RawHttp;
import io.keyhold.server.support.TestCertificates;
import io.keyhold.server.support.TestCertificates.Pem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * HTTPS with PEM files (certificates made by openssl in the test), re-read when the files are
 * replaced; plain HTTP on a non-loopback address is refused unless asked for.
 */
class HttpsTest {
    private static final String KEY = "HTTPSBOOTKEY0001";
    private static final String SECRET = "httpsTestSecret0123456789abcdefABCDEF0123";

    @TempDir
    Path tmp;

    private Pem ecPkcs8(String name) throws Exception {
        return TestCertificates.ecPkcs8(tmp.resolve("pki"), name);
    }

    /** A client that trusts exactly {@code pem}'s certificate; a new one per call, so every request makes a new connection. */
    private static HttpClient trusting(Pem pem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem.cert())) {
            trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static int get(Pem trusted, String url) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "/org/v2/environments")).timeout(Duration.ofSeconds(10))
                .header("Authorization", RawHttp.basic(KEY, SECRET)).build();
        return trusting(trusted).send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Replaces the served files as a certificate renewal does: each file atomically. */
    private static void install(Pem from, Pem served, boolean cert, boolean key) throws IOException {
        if (cert) {
            AtomicFiles.write(served.cert(), Files.readAllBytes(from.cert()));
        }
        if (key) {
            AtomicFiles.write(served.key(), Files.readAllBytes(from.key()));
        }
    }

    @Test
    void servesHttpsAndPicksUpReplacedFilesOnTheNextConnection() throws Exception {
        Pem first = ecPkcs8("first");
        Pem second = TestCertificates.rsaPkcs1(tmp.resolve("pki"), "second");
        Pem third = TestCertificates.ecSec1(tmp.resolve("pki"), "third");
        Pem served = new Pem(tmp.resolve("served-cert.pem"), tmp.resolve("served-key.pem"));
        install(first, served, true, true);
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp.resolve("data")).httpPort(0).bind("127.0.0.1")
                .bootstrapCredentials(KEY, SECRET).printBootstrapSecret(false).tls(served.cert(), served.key()).build())) {
            String url = server.url();
            assertThat(url).startsWith("https://127.0.0.1:");
            assertThat(get(first, url)).isEqualTo(200);
            assertThatThrownBy(() -> get(second, url)).isInstanceOf(SSLHandshakeException.class);
            // no plain HTTP on the port: the secret would cross in clear
            RawHttp.Response plain = plainHttp(url);
            assertThat(plain == null || plain.status() != 200).as(String.valueOf(plain)).isTrue();

            install(second, served, true, true);
            assertThat(get(second, url)).as("renewed certificate (RSA, PKCS#1 key) served without a restart").isEqualTo(200);
            assertThatThrownBy(() -> get(first, url)).isInstanceOf(SSLHandshakeException.class);

            // half a renewal (new certificate, old key) is not loaded: the previous pair stays in use
            install(third, served, true, false);
            assertThat(get(second, url)).isEqualTo(200);
            install(third, served, false, true);
            assertThat(get(third, url)).as("EC key in SEC1 format").isEqualTo(200);
        }
    }

    private static RawHttp.Response plainHttp(String httpsUrl) {
        try {
            return RawHttp.get("127.0.0.1", httpsUrl.replace("https://", "http://"), "/org/v2/environments", RawHttp.basic(KEY, SECRET));
        } catch (RuntimeException | AssertionError e) {
            return null; // not even an HTTP response
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAtStart() throws Exception {
        Pem a = ecPkcs8("a");
        Pem b = ecPkcs8("b");
        ServerConfig config = ServerConfig.builder().dataDir(tmp.resolve("data")).httpPort(0).bind("127.0.0.1")
                .printBootstrapSecret(false).tls(a.cert(), b.key()).build();
        assertThatThrownBy(() -> KeyholdServer.start(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to the certificate").hasMessageNotContaining("BEGIN");
    }

    @Test
    void plainHttpOnANonLoopbackAddressIsRefusedUnlessAskedFor() throws Exception {
        Pem pem = ecPkcs8("any");
        for (String bind : List.of("0.0.0.0", "::", "192.0.2.10")) {
            assertThatThrownBy(() -> ServerConfig.builder().bind(bind).build()).as(bind).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("plain HTTP").hasMessageContaining("--tls-cert-file").hasMessageContaining("--insecure-http");
            assertThat(ServerConfig.builder().bind(bind).insecureHttp(true).build().tls()).isFalse();
            assertThat(ServerConfig.builder().bind(bind).tls(pem.cert(), pem.key()).build().tls()).isTrue();
        }
        for (String bind : List.of("127.0.0.1", "127.0.0.2", "::1", "localhost")) {
            assertThat(ServerConfig.builder().bind(bind).build().bind()).isEqualTo(bind);
        }
        // the same from flags, environment and file, as `keyhold server` reads them
        Map<String, String> flags = new HashMap<>(Map.of("bind", "0.0.0.0"));
        assertThatThrownBy(() -> ServerConfigLoader.load(flags, Map.of(), null).build()).isInstanceOf(IllegalArgumentException.class);
        assertThat(ServerConfigLoader.load(flags, Map.of("KEYHOLD_INSECURE_HTTP", "true"), null).build().insecureHttp()).isTrue();
        Path yaml = Files.writeString(tmp.resolve("server.yaml"), "bind: 0.0.0.0\ntls-cert-file: " + pem.cert() + "\ntls-key-file: "
                + pem.key() + "\n");
        ServerConfig fromFile = ServerConfigLoader.load(Map.of(), Map.of(), yaml).build();
        assertThat(fromFile.tlsCertFile()).isEqualTo(pem.cert());
        assertThat(fromFile.tlsKeyFile()).isEqualTo(pem.key());

        // `keyhold server` itself: refused before anything listens (192.0.2.10 is not on this machine either way)
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new ServerCommand());
        cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
        int code = cl.execute("--bind", "192.0.2.10", "--http-port", "0", "--data-dir", tmp.resolve("cli-data").toString());
        assertThat(code).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("refusing to serve the API over plain HTTP on 192.0.2.10");
    }
}
