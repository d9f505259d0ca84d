package io.keyhold.kms.azure;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;

/** The {@code azure} KMS provider: {@link AzureKms}, configured by the server's {@code kms.azure.*} settings. */
public final class AzureKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return AzureKms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        return AzureKms.open(config);
    }
}
