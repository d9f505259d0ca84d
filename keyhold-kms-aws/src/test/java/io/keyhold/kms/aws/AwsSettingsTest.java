package io.keyhold.kms.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.aws.internal.AwsSettings;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AwsSettingsTest {

    @Test
    void defaultsAreModestAndTheProviderIsInstalled() {
        AwsSettings s = AwsSettings.from(KmsConfig.of(Map.of()));
        assertThat(s.endpoint()).isEmpty();
        assertThat(s.fips()).isFalse();
        assertThat(s.attemptTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.apiCallTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(s.sdkMaxAttempts()).isEqualTo(2);
        assertThat(KmsProviders.require("aws")).isInstanceOf(AwsKmsProvider.class);
    }

    @Test
    void anEndpointOverride() {
        AwsSettings s = AwsSettings.from(KmsConfig.of(Map.of("endpoint", "https://vpce-0abc-kms.eu-west-1.vpce.amazonaws.com")));
        assertThat(s.endpoint()).contains(URI.create("https://vpce-0abc-kms.eu-west-1.vpce.amazonaws.com"));
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertThatThrownBy(() -> AwsSettings.from(KmsConfig.of(Map.of("endpoint", "kms.eu-west-1.amazonaws.com"))))
                .hasMessageContaining("'endpoint'");
        assertThatThrownBy(() -> AwsSettings.from(KmsConfig.of(Map.of("endpoint", "https://x.example", "fips", "true"))))
                .hasMessageContaining("'fips' and 'endpoint'");
        assertThatThrownBy(() -> AwsSettings.from(KmsConfig.of(Map.of("fips", "yes")))).hasMessageContaining("'fips'");
        assertThatThrownBy(() -> AwsSettings.from(KmsConfig.of(Map.of("attempt-timeout-ms", "0")))).hasMessageContaining("'attempt-timeout-ms'");
        assertThatThrownBy(() -> AwsSettings.from(KmsConfig.of(Map.of("attempt-timeout-ms", "5000", "api-call-timeout-ms", "1000"))))
                .hasMessageContaining("'api-call-timeout-ms'");
    }
}
