package io.keyhold.secrets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class JaasConfigTest {
    static final String SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule";

    @Test
    void findsEveryOptionWithItsRawValue() {
        String jaas = SCRAM + " required\n  username=\"bob\"   password = \"p w \\\" d\" tokenauth=true;";
        List<JaasConfig.Option> options = JaasConfig.parse(jaas);
        assertThat(options).extracting(JaasConfig.Option::name).containsExactly("username", "password", "tokenauth");
        assertThat(options).extracting(JaasConfig.Option::value).containsExactly("\"bob\"", "\"p w \\\" d\"", "true");
        assertThat(options).allMatch(o -> o.loginModule().equals(SCRAM));
        JaasConfig.Option password = options.get(1);
        assertThat(jaas.substring(password.start(), password.end())).isEqualTo(password.value());
    }

    @Test
    void replacesOnlyTheNamedOptionsValue() {
        String jaas = SCRAM + " required username=\"bob\" password=\"secret\";";
        assertThat(JaasConfig.withOption(jaas, SCRAM, "password", "${securepass:f:k}"))
                .isEqualTo(SCRAM + " required username=\"bob\" password=${securepass:f:k};");
        assertThat(JaasConfig.withOption(jaas, SCRAM, "extra", "\"x\""))
                .isEqualTo(SCRAM + " required username=\"bob\" password=\"secret\" extra=\"x\";");
        assertThat(JaasConfig.withoutOption(jaas, SCRAM, "password")).isEqualTo(SCRAM + " required username=\"bob\";");
    }

    @Test
    void rejectsWhatIsNotJaas() {
        assertThat(JaasConfig.isJaas("just a value")).isFalse();
        assertThatThrownBy(() -> JaasConfig.parse(SCRAM + " required password=\"x\""))
                .isInstanceOf(SecretsException.class).hasMessageContaining("does not end with ';'");
        assertThatThrownBy(() -> JaasConfig.parse(SCRAM + " maybe password=\"x\";"))
                .isInstanceOf(SecretsException.class).hasMessageContaining("control flag");
        assertThatThrownBy(() -> JaasConfig.parse(SCRAM + " required password=\"x;"))
                .isInstanceOf(SecretsException.class).hasMessageContaining("not closed")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\"x"));
    }
}
