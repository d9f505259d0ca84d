package io.keyhold.kms.pkcs11;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;

/** The {@code pkcs11} KMS provider: {@link Pkcs11Kms}, configured by the server's {@code kms.pkcs11.*} settings. */
public final class Pkcs11KmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return Pkcs11Kms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        return Pkcs11Kms.open(config);
    }
}
