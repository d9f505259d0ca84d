package io.keyhold.kms.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import reactor.core.publisher.Mono;

/**
 * The JDK {@code java.net.http} transport with one difference: requests lose their
 * {@code Content-Length} header on the way in. The JDK client computes it from the body and refuses
 * to take it from callers; the SDK sets it anyway, and the transport then logs a warning for every
 * request, which would bury an operator's log.
 */
final class JdkTransport implements HttpClient {
    private final HttpClient jdk;

    JdkTransport(HttpClient jdk) {
        this.jdk = jdk;
    }

    @Override
    public Mono<HttpResponse> send(HttpRequest request) {
        return jdk.send(strip(request));
    }

    @Override
    public Mono<HttpResponse> send(HttpRequest request, Context context) {
        return jdk.send(strip(request), context);
    }

    @Override
    public HttpResponse sendSync(HttpRequest request, Context context) {
        return jdk.sendSync(strip(request), context);
    }

    private static HttpRequest strip(HttpRequest request) {
        request.getHeaders().remove(HttpHeaderName.CONTENT_LENGTH);
        return request;
    }
}
