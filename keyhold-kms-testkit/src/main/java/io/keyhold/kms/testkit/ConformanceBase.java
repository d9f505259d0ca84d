package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.await;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.ResilientKms;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.kms.testkit.KmsFakeAdmin.CanCauseOutages.Outage;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The connection under test and its admin, set up before and torn down after each test of
 * {@link KmsConformanceSuite}; subclasses are providers' test classes and implement the two hooks.
 */
abstract class ConformanceBase implements ConformanceContext {
    /** Patient enough for a loaded build machine; retries once. */
    static final RetryPolicy CALLS = new RetryPolicy(Duration.ofSeconds(10), 2, Duration.ofMillis(1), Duration.ofMillis(10));

    private Kms raw;
    private ResilientKms kms;

    /**
     * A new connection of the provider under test to its fake (or the real service), called before
     * each test; start the fake here or in a {@code @BeforeAll}. The suite closes the connection.
     */
    protected abstract Kms connect();

    /**
     * Drives the KMS that {@link #connect()}'s connection talks to. A test class that implements a
     * capability interface returns the admin type it names (or one that is all of them).
     */
    @Override
    public abstract KmsFakeAdmin admin();

    /**
     * Whether {@link io.keyhold.crypto.KekRef#keyVersion()} of new DEKs is {@link io.keyhold.kms.KeyInfo#currentVersion()}
     * (true by default). A provider whose wrapped keys name their key material themselves (AWS:
     * the ciphertext blob does) may leave the version empty and return false.
     */
    protected boolean kekRefCarriesKeyVersion() {
        return true;
    }

    @BeforeEach
    final void openConnection() {
        raw = connect();
        kms = new ResilientKms(raw, CALLS);
    }

    @AfterEach
    final void closeConnection() {
        try {
            if (this instanceof OutageConformance outages) { // a fake that outlives the test must not stay broken
                outages.admin().outage(Outage.NONE);
            }
        } finally {
            kms.close();
        }
    }

    @Override
    public final Kms kms() {
        return kms;
    }

    @Override
    public final Kms raw() {
        return raw;
    }

    @Override
    public final GeneratedDek generate(String keyRef, EncryptionContext context) {
        return await(kms.generate(keyRef, context));
    }

    @Override
    public final void assertUnwraps(GeneratedDek g, EncryptionContext context) {
        KmsAssertions.assertUnwraps(kms, g, context);
    }
}
