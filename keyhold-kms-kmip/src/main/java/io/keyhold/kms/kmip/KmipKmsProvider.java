package io.keyhold.kms.kmip;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;

/** The {@code kmip} KMS provider: {@link KmipKms}, configured by the server's {@code kms.kmip.*} settings. */
public final class KmipKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return KmipKms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        return KmipKms.open(config);
    }
}
