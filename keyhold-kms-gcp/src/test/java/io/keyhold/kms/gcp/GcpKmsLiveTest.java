package io.keyhold.kms.gcp;

import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsAssertions;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite against real Cloud KMS: only in the {@code gcp-live} Maven profile, with
 * Application Default Credentials and {@code KEYHOLD_GCP_LIVE_KEY_RING} set (see docs/kms/gcp.md).
 * It creates its own keys in that key ring and schedules their versions for destruction at the
 * end. Access denial and outages cannot be caused on real Cloud KMS from here, so only the
 * deletion capability is declared; {@link GcpAdminOverTheWireTest} runs this admin with all of them
 * against the fake.
 */
class GcpKmsLiveTest extends KmsConformanceSuite implements DeletionConformance {
    private static final String RING_ENV = "KEYHOLD_GCP_LIVE_KEY_RING";
    private static LiveGcpAdmin admin;

    @BeforeAll
    static void startAdmin() {
        String ring = System.getenv(RING_ENV);
        if (ring == null || !ring.matches("projects/[^/]+/locations/[^/]+/keyRings/[^/]+")) {
            throw new IllegalStateException("the gcp-live profile needs " + RING_ENV
                    + " (projects/<p>/locations/<region>/keyRings/<ring>) and Application Default Credentials");
        }
        String settle = System.getenv().getOrDefault("KEYHOLD_GCP_LIVE_SETTLE_SECONDS", "60");
        admin = new LiveGcpAdmin(ring, settings(), Duration.ofSeconds(Long.parseLong(settle)));
    }

    @AfterAll
    static void destroyTestKeys() {
        if (admin != null) {
            admin.close();
        }
    }

    /** The provider's settings from the environment, as the server would read them (KEYHOLD_KMS_GCP_ENDPOINT, ...). */
    private static KmsConfig settings() {
        Map<String, String> s = new HashMap<>();
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("KEYHOLD_KMS_GCP_")) {
                s.put(k.substring("KEYHOLD_KMS_GCP_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-'), v);
            }
        });
        return KmsConfig.of(s);
    }

    @Override
    protected Kms connect() {
        return KmsProviders.require("gcp").open(settings());
    }

    @Override
    public LiveGcpAdmin admin() {
        return admin;
    }

    @Test
    void aFreshKeyWrapsAndUnwrapsAndIsMeasured() {
        String key = admin.createKey();
        assertThat(await(kms().describe(key)).state()).isEqualTo(KeyState.ENABLED);
        assertThat(await(kms().keyProblems(key))).isEmpty();
        EncryptionContext context = EncryptionContext.forTopic("live-test", "orders");
        GeneratedDek g = await(kms().generate(key, context));
        try (DataKey back = await(kms().unwrap(g.kek(), g.edek(), context))) {
            assertThat(KmsAssertions.keyBytes(back)).isEqualTo(KmsAssertions.keyBytes(g.dek()));
        }
        System.out.println("real Cloud KMS ciphertext for a 32-byte DEK: " + g.edek().length + " bytes");
    }
}
