package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProvider;

/** The {@code aws} KMS provider: {@link AwsKms}, configured by the server's {@code kms.aws.*} settings. */
public final class AwsKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return AwsKms.KIND;
    }

    @Override
    public Kms open(KmsConfig config) {
        return AwsKms.open(config);
    }
}
