package io.keyhold.kms.pkcs11;

import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.Kms;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import io.keyhold.kms.pkcs11.internal.Cryptoki;
import io.keyhold.kms.pkcs11.internal.CryptokiException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The key's bytes cannot leave the token, for keys as a customer makes them and for the versions
 * Keyhold's rotation makes: SunPKCS11's handle has no encoding, the token refuses to show the value
 * and to export the key wrapped under another key (which it does for an extractable key: the
 * refusal is the key's, not the test's), and the attributes cannot be turned back.
 */
class Pkcs11KeyIsNotExtractableTest {
    private static final long CKA_VALUE = 0x11, CKM_AES_KEY_WRAP_PAD = 0x210A;
    private final SoftHsm hsm = SoftHsm.shared();
    private final Kms kms = hsm.connect();

    @AfterEach
    void close() {
        kms.close();
    }

    @Test
    void aCustomersKeyAndARotatedVersionNeverShowTheirBytes() {
        String ref = hsm.createKey();
        await(kms.rotate(ref));
        Pkcs11KeyRef key = Pkcs11KeyRef.parse(ref);
        String wrapping = hsm.createExtractableWrappingKey();
        Cryptoki cryptoki = hsm.token().cryptoki();
        hsm.token().inSession(session -> {
            List<Long> versions = hsm.handles(session, ref);
            assertThat(versions).hasSize(2);
            long wrapper = hsm.handles(session, wrapping).get(0);
            // the control: the token does export an extractable key, so a refusal below is the key's attribute at work
            assertThat(cryptoki.wrap(session, CKM_AES_KEY_WRAP_PAD, wrapper, wrapper)).isNotEmpty();
            for (long handle : versions) {
                assertThat(cryptoki.bool(session, handle, Cryptoki.CKA_EXTRACTABLE)).isFalse();
                assertThat(cryptoki.bool(session, handle, Cryptoki.CKA_SENSITIVE)).isTrue();
                assertThat(cryptoki.number(session, handle, Cryptoki.CKA_VALUE_LEN)).isEqualTo(32);
                assertThatThrownBy(() -> cryptoki.read(session, handle, CKA_VALUE)).isInstanceOf(CryptokiException.class)
                        .extracting(e -> ((CryptokiException) e).code()).isEqualTo("CKR_ATTRIBUTE_SENSITIVE");
                assertThatThrownBy(() -> cryptoki.wrap(session, CKM_AES_KEY_WRAP_PAD, wrapper, handle)).isInstanceOf(CryptokiException.class)
                        .extracting(e -> ((CryptokiException) e).code()).isEqualTo("CKR_KEY_UNEXTRACTABLE");
                assertThatThrownBy(() -> cryptoki.set(session, handle, Cryptoki.CKA_EXTRACTABLE, true)).isInstanceOf(CryptokiException.class);
                assertThat(cryptoki.bool(session, handle, Cryptoki.CKA_EXTRACTABLE)).isFalse();
            }
            return null;
        });
        for (int version = 1; version <= 2; version++) {
            javax.crypto.SecretKey handle = hsm.token().key(key.versionLabel(version));
            assertThat(handle).isNotNull();
            assertThat(handle.getEncoded()).as("version " + version + "'s encoding").isNull();
        }
    }

    @Test
    void anExtractableKeyIsAProblemTheValidatorShows() {
        String ref = hsm.createExtractableWrappingKey();
        assertThat(await(kms.keyProblems(ref))).anySatisfy(p -> assertThat(p).contains("CKA_EXTRACTABLE=false"))
                .anySatisfy(p -> assertThat(p).contains("CKA_SENSITIVE=true"));
        assertThat(await(kms.keyProblems(hsm.createKey()))).isEmpty();
    }
}
