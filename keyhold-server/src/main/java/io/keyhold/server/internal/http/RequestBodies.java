package io.keyhold.server.internal.http;

import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.http.BadMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a request body with the size limit enforced while reading, so that the limit also holds
 * for a body without {@code Content-Length} (chunked): reading stops one byte past the limit (413).
 * A body the client broke off or framed wrongly (a bad chunk size) is a 400, logged with the
 * request id, never a 500.
 */
final class RequestBodies {
    private static final Logger LOG = LoggerFactory.getLogger(RequestBodies.class);
    /** The limit, set per request by {@link HttpApi}. */
    static final String LIMIT = "keyhold.max-body-bytes";
    private static final String BYTES = "keyhold.body";

    private RequestBodies() {
    }

    static byte[] read(Context ctx) {
        byte[] cached = ctx.attribute(BYTES);
        if (cached != null) {
            return cached;
        }
        Integer limit = ctx.attribute(LIMIT);
        if (limit == null) {
            throw new IllegalStateException("the body limit is set for every request by HttpApi");
        }
        long declared = ctx.contentLength();
        if (declared > limit) {
            throw ApiException.tooLarge(limit);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
        byte[] buffer = new byte[8192];
        try (InputStream in = ctx.req().getInputStream()) {
            int n;
            while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, limit + 1L - out.size()))) > 0) {
                out.write(buffer, 0, n);
                if (out.size() > limit) {
                    throw ApiException.tooLarge(limit);
                }
            }
        } catch (BadMessageException e) {
            throw unreadable(ctx, e.getReason());
        } catch (IOException e) {
            // Jetty reports a body cut short and a broken chunk size alike, as an early end of the body.
            throw unreadable(ctx, e.getCause() instanceof BadMessageException bad ? bad.getReason()
                    : "it ended early or its chunked framing is broken");
        }
        byte[] bytes = out.toByteArray();
        ctx.attribute(BYTES, bytes);
        return bytes;
    }

    private static ApiException unreadable(Context ctx, String reason) {
        String why = reason == null || reason.isBlank() ? "bad framing" : reason;
        LOG.info("request {} {}: body unreadable ({}) (request id {})", ctx.method(), ctx.path(), why, ctx.attribute(HttpApi.REQUEST_ID));
        return ApiException.malformedBody("The request body could not be read (" + why + ")");
    }
}
