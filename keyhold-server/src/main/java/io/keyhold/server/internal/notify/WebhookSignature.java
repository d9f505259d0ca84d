package io.keyhold.server.internal.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a notification is signed, so that its receiver knows Keyhold sent it and nobody replays an
 * old one: {@code X-Keyhold-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>}
 * with the same {@code timestamp} (Unix seconds) in {@code X-Keyhold-Timestamp}. Receivers recompute
 * the HMAC over the exact bytes they received, compare in constant time, and reject timestamps
 * more than a few minutes old. Documented in docs/LIFECYCLE.md.
 */
public final class WebhookSignature {
    public static final String SIGNATURE_HEADER = "X-Keyhold-Signature";
    public static final String TIMESTAMP_HEADER = "X-Keyhold-Timestamp";

    private WebhookSignature() {
    }

    /** The {@value #SIGNATURE_HEADER} value for {@code body} sent at {@code timestamp}. */
    public static String sign(byte[] secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
