package io.keyhold.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The CLI's client sends its credentials only to its server: a {@code next} link to another
 * scheme, host or port is not followed (the server answering here is a stand-in that returns such
 * links, as a hostile or misconfigured server would); and a context never prints its secret.
 */
class ApiClientTest {
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    /** What a stand-in server saw: the path and Authorization header of each request. */
    private record Seen(String path, String authorization) {
    }

    /** A server on 127.0.0.1 answering every request with {@code page.apply(requestNumber)}; records what it saw. */
    private HttpServer server(List<Seen> seen, IntFunction<String> page) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", exchange -> {
            seen.add(new Seen(exchange.getRequestURI().toString(), exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = page.apply(seen.size()).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        s.start();
        servers.add(s);
        return s;
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private static String url(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    private static String pageWithNext(String next) {
        return "{\"data\":[{\"id\":\"x\"}],\"metadata\":{\"next\":" + (next == null ? "null" : "\"" + next + "\"") + "}}";
    }

    @Test
    void nextLinksToAnotherServerAreNotFollowed() throws Exception {
        List<Seen> elsewhere = new CopyOnWriteArrayList<>();
        HttpServer other = server(elsewhere, n -> pageWithNext(null));
        int otherPort = other.getAddress().getPort();
        for (String foreign : List.of("http://127.0.0.1:" + otherPort + "/org/v2/environments?page_token=2",
                "http://localhost:" + otherPort + "/org/v2/environments?page_token=2")) {
            List<Seen> seen = new CopyOnWriteArrayList<>();
            HttpServer api = server(seen, n -> pageWithNext(foreign));
            ApiClient client = new ApiClient(url(api), "KEY", "the-secret");
            assertThatThrownBy(() -> client.list("/org/v2/environments")).isInstanceOf(ApiError.class)
                    .hasMessageContaining("link to another server").hasMessageContaining(url(api)).hasMessageNotContaining("the-secret");
            assertThat(seen).hasSize(1);
        }
        // another scheme on the same host and port: the secret would go in clear, or to whatever listens there
        List<Seen> seen = new CopyOnWriteArrayList<>();
        HttpServer api = server(seen, n -> pageWithNext(null));
        String https = "https://127.0.0.1:" + api.getAddress().getPort() + "/org/v2/environments?page_token=2";
        HttpServer sameHostOtherScheme = server(new CopyOnWriteArrayList<>(), n -> pageWithNext(https));
        ApiClient client = new ApiClient(url(sameHostOtherScheme), "KEY", "the-secret");
        assertThatThrownBy(() -> client.list("/org/v2/environments")).isInstanceOf(ApiError.class);
        assertThat(elsewhere).as("no request, so no Authorization header, reached the other server").isEmpty();
    }

    @Test
    void nextLinksOnTheSameServerAreFollowed() throws Exception {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        String[] base = new String[1];
        HttpServer api = server(seen, n -> pageWithNext(n == 1 ? base[0].replace("http://", "HTTP://")
                + "/org/v2/environments?page_token=2" : null)); // scheme and host compare case-insensitively
        base[0] = url(api);
        ApiClient client = new ApiClient(base[0] + "/", "KEY", "the-secret");
        assertThat(client.list("/org/v2/environments")).hasSize(2);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).path()).isEqualTo("/org/v2/environments?page_token=2");
        assertThat(seen.get(1).authorization()).startsWith("Basic ");
    }

    @Test
    void aContextNeverPrintsItsSecret() {
        CliContext ctx = new CliContext("https://keyhold.example:8090", "APIKEY", "s3cr3t-value", "env-1", null);
        assertThat(ctx.toString()).contains("APIKEY").contains("https://keyhold.example:8090").doesNotContain("s3cr3t-value");
        assertThat(ctx.client().toString()).doesNotContain("s3cr3t-value").doesNotContain("Basic");
        assertThatThrownBy(() -> new ApiClient("https://APIKEY:s3cr3t-value@keyhold.example:8090", "APIKEY", "s3cr3t-value"))
                .isInstanceOf(ApiError.class).hasMessageContaining("user:password@").hasMessageNotContaining("s3cr3t-value");
    }
}
