package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.support.Api;
import io.keyhold.server.support.RawHttp;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Request bodies: the size limit holds without Content-Length (chunked), broken chunked framing is a
 * 400 in the error format, a field sent twice is refused, and an integer out of range says the range.
 */
class RequestBodyTest extends ApiTestBase {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b;
    }

    private RawHttp.Response postChunked(String path, byte[] chunkedBody) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + RawHttp.basic(BOOT_KEY, BOOT_SECRET)
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        return RawHttp.exchange("127.0.0.1", server.url(), head.getBytes(StandardCharsets.US_ASCII), chunkedBody);
    }

    private static byte[] chunked(byte[] body, int chunkSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < body.length; i += chunkSize) {
            int n = Math.min(chunkSize, body.length - i);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static JsonNode assertRawError(RawHttp.Response r, int status, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertPublished("byok-v1.yaml", "Failure", r.json());
        JsonNode e = r.json().path("errors").path(0);
        assertThat(e.path("code").asText()).as(r.toString()).isEqualTo(code);
        assertThat(e.path("id").asText()).isEqualTo(r.header("X-Request-Id"));
        return e;
    }

    @Test
    void theSizeLimitHoldsForChunkedBodies() {
        String small = "{\"display_name\":\"" + unique("chunked") + "\"}";
        RawHttp.Response ok = postChunked("/org/v2/environments", chunked(small.getBytes(StandardCharsets.UTF_8), 7));
        assertThat(ok.status()).as("a chunked body within the limit is read: " + ok).isEqualTo(201);

        byte[] big = new byte[4 * 1024 * 1024];
        Arrays.fill(big, (byte) 'a');
        byte[] json = ("{\"display_name\":\"" + new String(big, StandardCharsets.US_ASCII) + "\"}").getBytes(StandardCharsets.US_ASCII);
        JsonNode e = assertRawError(postChunked("/org/v2/environments", chunked(json, 64 * 1024)), 413, "request_too_large");
        assertThat(e.path("detail").asText()).contains("65536");
    }

    @Test
    void brokenChunkedFramingIsA400() {
        byte[] body = "zz\r\n{\"display_name\":\"x\"}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        JsonNode e = assertRawError(postChunked("/org/v2/environments", body), 400, "malformed_request");
        assertThat(e.path("detail").asText()).contains("could not be read");
    }

    @Test
    void aFieldSentTwiceIsRefusedNamingIt() {
        String name = unique("dup");
        Api.Res r = admin.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"" + name + "-a\",\"key_id\":\"" + name
                + "-b\"},\"display_name\":\"" + name + "\"}");
        JsonNode e = assertError(r, 400, "malformed_request");
        assertThat(e.path("detail").asText()).contains("'/key/key_id'").contains("more than once");
        assertThat(e.path("source").path("pointer").asText()).isEqualTo("/key/key_id");
        assertThat(admin.get("/byok/v1/keys?page_size=100").raw().body()).doesNotContain(name);

        Api.Res top = admin.post("/org/v2/environments", "{\"display_name\":\"" + name + "\",\"display_name\":\"" + name + "-2\"}");
        assertThat(assertError(top, 400, "malformed_request").path("source").path("pointer").asText()).isEqualTo("/display_name");
    }

    @Test
    void anIntegerOutOfRangeSaysTheRange() {
        String body = clusterBody(unique("big"), env, "AWS", "us-east-1", null).replace("\"cku\":1", "\"cku\":99999999999");
        JsonNode e = assertError(admin.post("/cmk/v2/clusters", body), 422, "invalid_configuration");
        assertThat(e.path("source").path("pointer").asText()).isEqualTo("/spec/config/cku");
        assertThat(e.path("detail").asText()).contains("99999999999").contains("from 1 to 152")
                .doesNotContain("did not match");
    }
}
