package io.keyhold.kms.azure.internal;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.util.UrlBuilder;
import java.net.URI;
import reactor.core.publisher.Mono;

/**
 * Sends a request meant for a key's vault to the {@code endpoint} setting's scheme, host and port
 * instead, path and query unchanged. It runs after the SDK's Key Vault credential policy (closest to
 * the wire), so the token's audience and the check of the vault's challenge still concern the key's
 * own vault, and the bearer token only ever travels over HTTPS.
 */
final class EndpointOverride implements HttpPipelinePolicy {
    private final URI endpoint;

    EndpointOverride(URI endpoint) {
        this.endpoint = endpoint;
    }

    // The policies before this one (the credential policy handling a 401 challenge) must go on seeing
    // the vault's URL: only a copy of the request goes on to the wire, and the original comes back.

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        HttpRequest original = context.getHttpRequest();
        return Mono.defer(() -> {
            context.setHttpRequest(redirected(original));
            return next.process();
        }).doFinally(signal -> context.setHttpRequest(original));
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        HttpRequest original = context.getHttpRequest();
        context.setHttpRequest(redirected(original));
        try {
            return next.processSync();
        } finally {
            context.setHttpRequest(original);
        }
    }

    private HttpRequest redirected(HttpRequest request) {
        UrlBuilder url = UrlBuilder.parse(request.getUrl());
        url.setScheme(endpoint.getScheme());
        url.setHost(endpoint.getHost());
        url.setPort(endpoint.getPort() < 0 ? null : String.valueOf(endpoint.getPort()));
        return request.copy().setUrl(url.toString());
    }
}
