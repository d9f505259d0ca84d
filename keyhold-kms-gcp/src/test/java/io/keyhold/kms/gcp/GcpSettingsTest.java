package io.keyhold.kms.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.gcp.fake.TestPki;
import io.keyhold.kms.gcp.internal.GcpSettings;
import io.keyhold.kms.gcp.internal.KeyName;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings and key names: what is accepted, and what a refusal says. */
class GcpSettingsTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreGooglesEndpointWithTlsAndAdc() {
        GcpSettings s = GcpSettings.from(KmsConfig.of(Map.of()));
        assertThat(s.endpoint()).isEmpty();
        assertThat(s.plaintext()).isFalse();
        assertThat(s.caFile()).isEmpty();
        assertThat(s.credentialsFile()).isEmpty();
        assertThat(s.attemptTimeout().toMillis()).isEqualTo(3000);
        assertThat(s.callTimeout().toMillis()).isEqualTo(9000);
        assertThat(s.maxAttempts()).isEqualTo(2);
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> GcpSettings.from(KmsConfig.of(Map.of("endpoint", "https://cloudkms.googleapis.com"))))
                .hasMessageContaining("'endpoint' must be host:port");
        assertThatThrownBy(() -> GcpSettings.from(KmsConfig.of(Map.of("plaintext", "true"))))
                .hasMessageContaining("'plaintext' is for emulators and needs 'endpoint'");
        assertThatThrownBy(() -> GcpSettings.from(KmsConfig.of(Map.of("plaintext", "yes", "endpoint", "127.0.0.1:1"))))
                .hasMessageContaining("'plaintext' must be true or false");
        assertThatThrownBy(() -> GcpSettings.from(KmsConfig.of(Map.of("plaintext", "true", "endpoint", "127.0.0.1:1",
                "ca-file", TestPki.get().caFile().toString())))).hasMessageContaining("excludes 'ca-file' and 'credentials-file'");
        assertThatThrownBy(() -> GcpSettings.from(KmsConfig.of(Map.of("credentials-file", dir.resolve("missing.json").toString()))))
                .hasMessageContaining("'credentials-file'").hasMessageContaining("is not a readable file");
        assertThatThrownBy(() -> GcpSettings.from(KmsConfig.of(Map.of("attempt-timeout-ms", "5000", "call-timeout-ms", "1000"))))
                .hasMessageContaining("'call-timeout-ms' must not be shorter");
    }

    @Test
    void aFileThatIsNoServiceAccountKeyIsRefusedWithoutQuotingIt() throws Exception {
        Path notAKey = dir.resolve("creds.json");
        java.nio.file.Files.writeString(notAKey, "{\"type\":\"service_account\",\"private_key\":\"s3cr3t-not-a-key\"}");
        assertThatThrownBy(() -> KmsProviders.require("gcp").open(KmsConfig.of(Map.of("credentials-file", notAKey.toString()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a Google service-account key file")
                .satisfies(e -> assertThat(e.toString()).doesNotContain("s3cr3t"));
    }

    @Test
    void keyNamesAreParsedAndVersionNamesRefused() {
        KeyName k = KeyName.parse("projects/acme-prod/locations/europe-west4/keyRings/kafka/cryptoKeys/orders");
        assertThat(k.project()).isEqualTo("acme-prod");
        assertThat(k.location()).isEqualTo("europe-west4");
        assertThat(k.keyRing()).isEqualTo("kafka");
        assertThat(k.key()).isEqualTo("orders");
        assertThat(k.singleRegion()).isTrue();
        assertThat(k.versionId(k.name() + "/cryptoKeyVersions/12")).isEqualTo("12");
        assertThat(k.versionId("projects/123456789/locations/europe-west4/keyRings/kafka/cryptoKeys/orders/cryptoKeyVersions/3"))
                .as("the project by number").isEqualTo("3");
        assertThat(k.versionId("projects/acme-prod/locations/europe-west4/keyRings/kafka/cryptoKeys/other/cryptoKeyVersions/3")).isNull();
        assertThat(KeyName.parse("projects/example.com:acme-prod/locations/us/keyRings/r/cryptoKeys/k").singleRegion()).isFalse();
        assertThatThrownBy(() -> KeyName.parse(k.name() + "/cryptoKeyVersions/2")).hasMessageContaining("names a key version");
        assertThatThrownBy(() -> KeyName.parse("projects/acme-prod/keyRings/kafka/cryptoKeys/orders"))
                .hasMessageContaining("projects/<project>/locations/<region>/keyRings/<key-ring>/cryptoKeys/<key>");
    }
}
