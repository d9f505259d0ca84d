package io.keyhold.kms.aws.fake;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake refuses what real KMS refuses before looking at the operation: unsigned and badly signed requests. */
class FakeAwsKmsTest {
    private FakeAwsKms fake;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        fake = FakeAwsKms.start("eu-west-1");
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private HttpResponse<String> post(String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.endpoint() + "/"))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "TrentService.DescribeKey")
                .header("X-Amz-Date", java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                        .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.now()))
                .POST(HttpRequest.BodyPublishers.ofString("{\"KeyId\":\"" + fake.createKey() + "\"}"));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void unsignedAndBadlySignedRequestsAreRefusedAsAwsRefusesThem() throws Exception {
        String date = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString().replace("-", "");
        String scope = "Credential=" + FakeAwsKms.ACCESS_KEY + "/" + date + "/eu-west-1/kms/aws4_request";
        String headers = ", SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0".repeat(64);

        assertRefused(post(null), "MissingAuthenticationTokenException");
        assertRefused(post("AWS4-HMAC-SHA256 Signature=abc"), "IncompleteSignatureException");
        assertRefused(post("AWS4-HMAC-SHA256 " + scope.replace(FakeAwsKms.ACCESS_KEY, "AKIAOTHER") + headers), "UnrecognizedClientException");
        assertRefused(post("AWS4-HMAC-SHA256 " + scope + headers), "InvalidSignatureException");
        assertRefused(post("AWS4-HMAC-SHA256 " + scope.replace("/kms/", "/s3/") + headers), "InvalidSignatureException");
        assertThat(fake.count("DescribeKey")).isEqualTo(5);
    }

    private static void assertRefused(HttpResponse<String> r, String type) {
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/x-amz-json-1.1");
        assertThat(r.body()).contains("\"__type\":\"" + type + "\"");
    }
}
