package io.keyhold.kms.kmip.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KmipKeyRefTest {
    @Test
    void parsesIdentifierAndNameReferences() {
        assertThat(KmipKeyRef.parse("hsm-1/42")).isEqualTo(new KmipKeyRef("hsm-1", "42", null));
        assertThat(KmipKeyRef.parse("hsm-1/name:orders key")).isEqualTo(new KmipKeyRef("hsm-1", null, "orders key"));
        assertThat(KmipKeyRef.parse("hsm/6b1f0c2e-5a8d-4f3e-9c1b-2d7e8f9a0b1c").uid()).isEqualTo("6b1f0c2e-5a8d-4f3e-9c1b-2d7e8f9a0b1c");
        assertThat(KmipKeyRef.parse("hsm/name:k").toString()).isEqualTo("hsm/name:k");
    }

    @Test
    void refusesWhatNamesNoServerOrObject() {
        for (String bad : new String[] {"", "42", "HSM/42", "hsm.a/42", "hsm/", "hsm/name:", "hsm/name: ", "hsm/ 42"}) {
            assertThatThrownBy(() -> KmipKeyRef.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
