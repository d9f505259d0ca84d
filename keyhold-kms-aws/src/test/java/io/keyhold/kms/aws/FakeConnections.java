package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import java.util.Map;

/** Opens the provider, found through ServiceLoader as the server finds it, against a fake. */
final class FakeConnections {
    /** Short SDK bounds, so calls a hanging fake holds give their threads back soon. */
    static KmsConfig config(FakeAwsKms fake) {
        return KmsConfig.of(Map.of("endpoint", fake.endpoint().toString(),
                "attempt-timeout-ms", "2000", "api-call-timeout-ms", "4000", "threads", "16"));
    }

    static Kms open(FakeAwsKms fake) {
        return KmsProviders.require("aws").open(config(fake));
    }

    private FakeConnections() {
    }
}
