package io.keyhold.server.internal.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.server.internal.util.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Requests that Jetty rejects before any handler runs (a malformed URI, bad headers, a header section
 * too large) are answered in the same error format as everything else, with a request id.
 */
final class JsonBadMessageHandler extends ErrorHandler {
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        String id = UUID.randomUUID().toString();
        ObjectNode err = Json.object().put("id", id).put("status", Integer.toString(status)).put("code", "malformed_request")
                .put("title", "Malformed Request").put("detail", "The HTTP request is malformed (" + (reason == null ? "bad message" : reason) + ")");
        ObjectNode body = Json.object();
        body.putArray("errors").add(err);
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        fields.put("X-Request-Id", id);
        return ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
