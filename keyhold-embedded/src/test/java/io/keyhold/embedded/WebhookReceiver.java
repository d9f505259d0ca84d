package io.keyhold.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook endpoint on 127.0.0.1 (the JDK's HTTP server), as a customer would write one: it
 * checks each notification's HMAC-SHA256 signature the documented way (over timestamp + "." +
 * body) and keeps the verified ones. It can also hang or answer 500, to show that a bad webhook
 * never delays a lock.
 */
final class WebhookReceiver implements AutoCloseable {
    enum Behaviour { OK, HANG, ERROR_500 }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final byte[] secret;
    private final Behaviour behaviour;
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<JsonNode> verified = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger badSignatures = new AtomicInteger();

    WebhookReceiver(String secret, Behaviour behaviour) throws IOException {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.behaviour = behaviour;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "webhook-receiver");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/hook", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            requests.incrementAndGet();
            byte[] body = x.getRequestBody().readAllBytes();
            if (behaviour == Behaviour.HANG) {
                release.await();
            }
            if (behaviour == Behaviour.ERROR_500) {
                x.sendResponseHeaders(500, -1);
                return;
            }
            String timestamp = x.getRequestHeaders().getFirst("X-Keyhold-Timestamp");
            String signature = x.getRequestHeaders().getFirst("X-Keyhold-Signature");
            if (timestamp == null || signature == null || !MessageDigest.isEqual(signature.getBytes(StandardCharsets.US_ASCII),
                    expected(timestamp, body).getBytes(StandardCharsets.US_ASCII))) {
                badSignatures.incrementAndGet();
                x.sendResponseHeaders(401, -1);
                return;
            }
            verified.add(JSON.readTree(body));
            x.sendResponseHeaders(204, -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String expected(String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The notifications whose signature verified, in arrival order. */
    List<JsonNode> verified() {
        return List.copyOf(verified);
    }

    /** The event types of {@link #verified()} for {@code cluster}. */
    List<String> types(String cluster) {
        return verified.stream().filter(n -> cluster.equals(n.path("cluster").asText())).map(n -> n.path("type").asText()).toList();
    }

    int requests() {
        return requests.get();
    }

    int badSignatures() {
        return badSignatures.get();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
