package io.keyhold.kms.gcp;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;

/** The {@code gcp} KMS provider: {@link GcpKms}, configured by the server's {@code kms.gcp.*} settings. */
public final class GcpKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return GcpKms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        return GcpKms.open(config);
    }
}
