package io.keyhold.kms.aws.fake;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies an AWS Signature Version 4 header signature the way KMS does: the credential scope
 * (access key, date, region, service {@code kms}), the signed headers, the payload hash, the
 * request time within 15 minutes, and the HMAC chain over the canonical request with the caller's
 * secret key. Returns the signing region; refusals are AWS's errors.
 */
final class SigV4Check {
    private static final Pattern AUTH = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/,\\s]+)/(\\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request,\\s*SignedHeaders=([a-z0-9;-]+),\\s*Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration SKEW = Duration.ofMinutes(15);

    private final Map<String, String> secrets;

    /** @param secrets secret access key by access key id */
    SigV4Check(Map<String, String> secrets) {
        this.secrets = Map.copyOf(secrets);
    }

    /** The region the request is signed for. */
    String verify(String method, String path, String query, Headers headers, byte[] body) {
        String auth = headers.getFirst("Authorization");
        if (auth == null) {
            throw FakeKmsError.client("MissingAuthenticationTokenException", "Missing Authentication Token");
        }
        Matcher m = AUTH.matcher(auth);
        if (!m.matches()) {
            throw FakeKmsError.client("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
        }
        String accessKey = m.group(1);
        String date = m.group(2);
        String region = m.group(3);
        String service = m.group(4);
        List<String> signed = Arrays.asList(m.group(5).split(";"));
        String secret = secrets.get(accessKey);
        if (secret == null) {
            throw FakeKmsError.client("UnrecognizedClientException", "The security token included in the request is invalid.");
        }
        if (!service.equals("kms")) {
            throw FakeKmsError.client("InvalidSignatureException", "Credential should be scoped to correct service: 'kms'.");
        }
        String amzDate = headers.getFirst("X-Amz-Date");
        if (amzDate == null || !amzDate.startsWith(date) || !signed.contains("host") || !signed.contains("x-amz-date")) {
            throw FakeKmsError.client("IncompleteSignatureException", "the signature must cover host and x-amz-date, scoped to the request's date");
        }
        checkTime(amzDate);
        String payloadHash = hex(sha256(body));
        String declared = headers.getFirst("X-Amz-Content-Sha256");
        if (declared != null && !declared.equals(payloadHash)) {
            throw FakeKmsError.client("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append(method).append('\n').append(path).append('\n').append(query == null ? "" : query).append('\n');
        for (String name : signed) {
            List<String> values = headers.get(name);
            if (values == null) {
                throw FakeKmsError.client("InvalidSignatureException", "signed header '" + name + "' is missing");
            }
            canonical.append(name).append(':').append(String.join(",", values.stream().map(SigV4Check::trimAll).toList())).append('\n');
        }
        canonical.append('\n').append(m.group(5)).append('\n').append(payloadHash);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        byte[] expected = hmac(key, toSign);
        if (!MessageDigest.isEqual(expected, HexFormat.of().parseHex(m.group(6)))) {
            throw FakeKmsError.client("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
        }
        return region;
    }

    private static void checkTime(String amzDate) {
        Instant t;
        try {
            t = Instant.from(AMZ_DATE.parse(amzDate));
        } catch (DateTimeParseException e) {
            throw FakeKmsError.client("IncompleteSignatureException", "X-Amz-Date is not of the form yyyyMMddTHHmmssZ");
        }
        if (Duration.between(t, Instant.now()).abs().compareTo(SKEW) > 0) {
            throw FakeKmsError.client("InvalidSignatureException", "Signature expired: " + amzDate + " is not within 15 minutes of the server's time.");
        }
    }

    private static String trimAll(String v) {
        return v.trim().replaceAll("\\s+", " ");
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
