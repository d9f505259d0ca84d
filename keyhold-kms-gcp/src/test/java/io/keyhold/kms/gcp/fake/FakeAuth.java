package io.keyhold.kms.gcp.fake;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Google's check of a request's credentials, for the fake over TLS: {@code authorization: Bearer
 * <JWT>} must be a self-signed JWT of a service account the fake trusts (RS256 with the account's
 * key, {@code kid} its key id, {@code iss} = {@code sub} = its email, not expired, and a scope that
 * allows Cloud KMS or an audience of this service). Anything else is {@code UNAUTHENTICATED} with
 * Google's words. The caller's email is in {@link #PRINCIPAL} for the handlers.
 */
final class FakeAuth implements ServerInterceptor {
    static final Context.Key<String> PRINCIPAL = Context.key("keyhold-fake-principal");
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final List<String> SCOPES = List.of("https://www.googleapis.com/auth/cloudkms", "https://www.googleapis.com/auth/cloud-platform");

    private final Map<String, TestServiceAccount> byKeyId = new ConcurrentHashMap<>();

    void trust(TestServiceAccount account) {
        byKeyId.put(account.keyId(), account);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String principal;
        try {
            principal = verify(headers.get(AUTHORIZATION));
        } catch (IllegalArgumentException e) {
            call.close(Status.UNAUTHENTICATED.withDescription("Request had invalid authentication credentials. Expected OAuth 2 access token,"
                    + " login cookie or other valid authentication credential. (" + e.getMessage() + ")"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValue(PRINCIPAL, principal), call, headers, next);
    }

    /** The email of the service account whose valid JWT {@code authorization} carries. */
    private String verify(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            throw new IllegalArgumentException("no bearer token");
        }
        String[] jwt = authorization.substring("Bearer ".length()).split("\\.", -1);
        if (jwt.length != 3) {
            throw new IllegalArgumentException("not a JWT");
        }
        JsonObject header = json(jwt[0]);
        JsonObject claims = json(jwt[1]);
        TestServiceAccount account = header.has("kid") ? byKeyId.get(header.get("kid").getAsString()) : null;
        if (account == null || !"RS256".equals(string(header, "alg"))) {
            throw new IllegalArgumentException("unknown key or algorithm");
        }
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initVerify(account.publicKey());
            rsa.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
            if (!rsa.verify(Base64.getUrlDecoder().decode(jwt[2]))) {
                throw new IllegalArgumentException("bad signature");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad signature");
        }
        long now = Instant.now().getEpochSecond();
        if (!account.email().equals(string(claims, "iss")) || !account.email().equals(string(claims, "sub"))
                || !claims.has("exp") || claims.get("exp").getAsLong() < now) {
            throw new IllegalArgumentException("wrong issuer or expired");
        }
        String scope = string(claims, "scope");
        boolean scoped = scope != null && SCOPES.stream().anyMatch(s -> List.of(scope.split(" ")).contains(s));
        String aud = string(claims, "aud");
        if (!scoped && (aud == null || !aud.startsWith("https://"))) {
            throw new IllegalArgumentException("no Cloud KMS scope or audience");
        }
        return account.email();
    }

    private static JsonObject json(String part) {
        try {
            return JsonParser.parseString(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a JWT");
        }
    }

    private static String string(JsonObject o, String name) {
        return o.has(name) && o.get(name).isJsonPrimitive() ? o.get(name).getAsString() : null;
    }
}
