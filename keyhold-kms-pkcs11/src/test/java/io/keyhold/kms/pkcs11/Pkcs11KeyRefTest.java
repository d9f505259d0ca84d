package io.keyhold.kms.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Pkcs11KeyRefTest {
    @Test
    void referencesArePkcs11UrisWithATokenAndAnObject() {
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse("pkcs11:token=prod%20hsm;object=orders%2Fkek");
        assertThat(ref).isEqualTo(new Pkcs11KeyRef("prod hsm", "orders/kek"));
        assertThat(ref.ref()).isEqualTo("pkcs11:token=prod%20hsm;object=orders%2Fkek");
        assertThat(Pkcs11KeyRef.parse("pkcs11:object=k;token=t")).isEqualTo(new Pkcs11KeyRef("t", "k"));
        assertThat(Pkcs11KeyRef.parse(new Pkcs11KeyRef("tök;en", "ä%b").ref())).isEqualTo(new Pkcs11KeyRef("tök;en", "ä%b"));
    }

    @Test
    void versionsAreObjectsWithVersionedLabels() {
        Pkcs11KeyRef ref = new Pkcs11KeyRef("t", "orders");
        assertThat(ref.versionLabel(1)).isEqualTo("orders");
        assertThat(ref.versionLabel(12)).isEqualTo("orders.v12");
        assertThat(ref.versionOf("orders")).isEqualTo(1);
        assertThat(ref.versionOf("orders.v12")).isEqualTo(12);
        assertThat(ref.versionOf("orders.v1")).isZero();
        assertThat(ref.versionOf("orders.v02")).isZero();
        assertThat(ref.versionOf("orders.vx")).isZero();
        assertThat(ref.versionOf("orders-2")).isZero();
        assertThat(Pkcs11KeyRef.parseVersion("3")).isEqualTo(3);
        assertThatThrownBy(() -> Pkcs11KeyRef.parseVersion("0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Pkcs11KeyRef.parseVersion("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedReferencesAreRefused() {
        for (String bad : new String[] {"token=t;object=o", "pkcs11:token=t", "pkcs11:object=o", "pkcs11:token=t;object=o;slot=1",
                "pkcs11:token=t;token=u;object=o", "pkcs11:token=;object=o", "pkcs11:token=t;object=o.v2", "pkcs11:token=t;object=%zz",
                "pkcs11:token=" + "x".repeat(33) + ";object=o"}) {
            assertThatThrownBy(() -> Pkcs11KeyRef.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
