package io.keyhold.kms.vault;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;

/** The {@code vault} KMS provider: {@link VaultKms}, configured by the server's {@code kms.vault.*} settings. */
public final class VaultKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return VaultKms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        return VaultKms.open(config);
    }
}
