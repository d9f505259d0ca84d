package io.keyhold.kms.vault.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.KmsUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Vault's HTTP API through the JDK HttpClient (no Vault SDK): JSON requests under {@code /v1/},
 * the token in {@code X-Vault-Token}, the namespace (Vault Enterprise, OpenBao) in
 * {@code X-Vault-Namespace}, TLS trusting the JVM's CAs or only those of {@code ca-file}.
 * Network failures and timeouts become {@link KmsUnavailableException}; HTTP errors are returned for
 * the caller to judge ({@link VaultErrors}).
 */
public final class VaultHttp {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** An answer: the status, and the body as JSON (an empty object when there was none). */
    public record Response(int status, JsonNode body) {
        public boolean ok() {
            return status / 100 == 2;
        }

        /** Vault's {@code errors} array joined, or "". */
        public String errors() {
            StringBuilder b = new StringBuilder();
            body.path("errors").forEach(e -> b.append(b.length() == 0 ? "" : "; ").append(e.asText()));
            return b.toString();
        }
    }

    private final VaultSettings settings;
    private final HttpClient client;

    public VaultHttp(VaultSettings settings) {
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER);
        settings.caFile().ifPresent(ca -> b.sslContext(trusting(ca)));
        this.client = b.build();
    }

    /** {@code method} on {@code /v1/<path>} with {@code body} (null: none) and {@code token} (null: none). */
    public Response call(String method, String path, ObjectNode body, String token) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(settings.address() + "/v1/" + path)).timeout(settings.timeout())
                .header("Accept", "application/json");
        if (token != null) {
            r.header("X-Vault-Token", token);
        }
        settings.namespace().ifPresent(ns -> r.header("X-Vault-Namespace", ns));
        if (body != null) {
            r.header("Content-Type", "application/json");
            r.method(method, HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
        } else {
            r.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<byte[]> resp = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(resp.statusCode(), parse(resp.body()));
        } catch (HttpTimeoutException e) {
            throw new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT, "Vault at " + settings.address() + " did not answer "
                    + method + " " + path + " within " + settings.timeout().toMillis() + " ms");
        } catch (IOException e) {
            throw new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, "Vault at " + settings.address() + " could not be reached for "
                    + method + " " + path + ": " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, "interrupted while calling Vault");
        }
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode(); // a proxy's HTML error page: the status says enough
        }
    }

    private static SSLContext trusting(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + n++, c);
            }
            if (n == 0) {
                throw new IllegalArgumentException("KMS setting 'ca-file': no certificate in " + caFile);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("KMS setting 'ca-file': cannot read certificates from " + caFile + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    public Optional<String> namespace() {
        return settings.namespace();
    }
}
