package io.keyhold.server.internal.auth;

import io.keyhold.server.internal.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An API key id and secret from an {@code Authorization: Basic} header. {@link #toString()} never
 * shows the secret.
 */
public record Credentials(String keyId, String secret) {
    /** Longer headers are refused before decoding: a real key id and secret are well under 200 bytes. */
    private static final int MAX_DECODED = 1024;

    /** Parses the header, or throws 401 when it is missing or is not Basic {@code id:secret}. */
    public static Credentials parseBasic(String header) {
        if (header == null || header.isBlank()) {
            throw ApiException.unauthenticated("Valid authentication credentials must be provided");
        }
        String h = header.trim();
        if (h.length() < 6 || !h.regionMatches(true, 0, "Basic ", 0, 6)) {
            throw ApiException.unauthenticated("HTTP Basic authentication with an API key and secret is required");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.unauthenticated("The Authorization header is not valid Basic credentials");
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0 || colon == decoded.length() - 1 || decoded.length() > MAX_DECODED) {
            throw ApiException.unauthenticated("The Authorization header is not valid Basic credentials");
        }
        return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    @Override
    public String toString() {
        return "Credentials[keyId=" + keyId + ", secret=***]";
    }
}
