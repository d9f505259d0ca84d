package io.keyhold.kms.local;

import io.keyhold.kms.Kms;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider conformance suite against the local KMS. Its admin is the local KMS's own
 * management API on the same store (as {@code keyhold kms key ...} is beside a running server).
 * The local KMS has no principals and no network, so of the suite's capabilities it declares only
 * deletion: the access-denial and outage tests do not apply to it and are not part of this class.
 */
class LocalKmsConformanceTest extends KmsConformanceSuite implements DeletionConformance {
    private static final LocalKmsOptions.KdfCost CHEAP = new LocalKmsOptions.KdfCost(8 * 1024, 1, 1);

    @TempDir
    Path dataDir;

    private LocalKms management;
    private final AtomicInteger names = new AtomicInteger();

    @Override
    protected Kms connect() {
        management = LocalKms.open(options());
        return LocalKms.open(options());
    }

    private LocalKmsOptions options() {
        return new LocalKmsOptions(dataDir, "conformance passphrase".toCharArray(), java.time.Clock.systemUTC(), CHEAP);
    }

    @Override
    public KmsFakeAdmin.CanDelete admin() {
        return new KmsFakeAdmin.CanDelete() {
            @Override
            public String createKey() {
                String name = "conformance-" + names.incrementAndGet();
                management.create(name);
                return name;
            }

            @Override
            public String unknownKeyRef() {
                return "never-created";
            }

            @Override
            public void disable(String keyRef) {
                management.disable(keyRef);
            }

            @Override
            public void enable(String keyRef) {
                management.enable(keyRef);
            }

            @Override
            public void rotate(String keyRef) {
                management.rotateKey(keyRef);
            }

            @Override
            public void scheduleDeletion(String keyRef) {
                management.scheduleDeletion(keyRef, Duration.ofDays(7));
            }
        };
    }
}
