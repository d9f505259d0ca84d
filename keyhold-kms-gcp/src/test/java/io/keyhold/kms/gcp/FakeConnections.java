package io.keyhold.kms.gcp;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.gcp.fake.FakeGcpKms;

/** Opens the provider, found through ServiceLoader as the server finds it, with the settings a user would give for the fake. */
final class FakeConnections {
    static KmsConfig config(FakeGcpKms fake) {
        return KmsConfig.of(fake.settings());
    }

    static Kms open(FakeGcpKms fake) {
        return KmsProviders.require("gcp").open(config(fake));
    }

    private FakeConnections() {
    }
}
