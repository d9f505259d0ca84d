package io.keyhold.kms.azure;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.assertUnavailable;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.azure.fake.FakeAzure;
import io.keyhold.kms.azure.fake.FakeKeyVault;
import io.keyhold.kms.testkit.KmsAssertions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider against the wire-level fakes, for what the conformance suite does not ask: Azure's own rules. */
class AzureWireTest {
    static final EncryptionContext ORDERS = EncryptionContext.forTopic("cluster-a", "orders");
    private static final Duration WITHIN = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private FakeAzure azure;
    private Kms kms;

    private FakeKeyVault start(FakeAzure a, Map<String, String> settings) {
        azure = a;
        azure.installCredentials();
        kms = azure.connect(settings);
        return azure.vault();
    }

    private FakeKeyVault start() {
        return start(FakeAzure.keyVault(dir, "keyhold-wire"), Map.of());
    }

    @AfterEach
    void stop() {
        if (kms != null) {
            kms.close();
        }
        if (azure != null) {
            azure.close();
        }
    }

    private GeneratedDek generate(String ref) {
        return await(kms.generate(ref, ORDERS));
    }

    private void assertUnwraps(GeneratedDek g) {
        try (DataKey back = await(kms.unwrap(g.kek(), g.edek(), ORDERS))) {
            assertThat(KmsAssertions.keyBytes(back)).isEqualTo(KmsAssertions.keyBytes(g.dek()));
        }
    }

    @Test
    void theSdkAnswersTheVaultsChallengeWithATokenOfItsTenantAndWrapsInKeyVaultEveryTime() {
        // a vault of its own: the SDK remembers each vault's challenge for the JVM's life
        FakeKeyVault vault = start(FakeAzure.keyVault(dir, "keyhold-challenge"), Map.of());
        String ref = vault.createKey();
        for (int i = 0; i < 3; i++) {
            assertUnwraps(generate(ref));
        }
        List<FakeKeyVault.Request> requests = vault.requests();
        assertThat(requests.get(0).status()).as("the first request, without a token").isEqualTo(401);
        assertThat(requests).allSatisfy(r -> assertThat(r.apiVersion()).isEqualTo(FakeKeyVault.API_VERSION));
        assertThat(vault.count("/wrapkey", 200)).as("wraps done by Key Vault, not locally").isEqualTo(3);
        assertThat(vault.count("/unwrapkey", 200)).isEqualTo(3);
        assertThat(azure.entra().tenantsAsked()).containsOnly(FakeAzure.TENANT);
    }

    @Test
    void aKeyUrlWithAVersionNamesTheKeyAndNewDeksUseItsCurrentVersion() {
        FakeKeyVault vault = start();
        String ref = vault.createKey();
        String v1 = vault.currentVersion(ref);
        vault.rotate(ref);
        KeyInfo info = await(kms.describe(ref + "/" + v1));
        assertThat(info.keyId()).isEqualTo(ref);
        assertThat(info.currentVersion()).isEqualTo(vault.currentVersion(ref)).isNotEqualTo(v1);
        assertThat(info.algorithm()).isEqualTo("RSA 2048");
        assertThat(info.region()).isEqualTo(KeyInfo.UNKNOWN_REGION);
        GeneratedDek g = await(kms.generate(ref + "/" + v1, ORDERS));
        assertThat(g.kek().keyVersion()).isEqualTo(vault.currentVersion(ref));
        assertUnwraps(g);
    }

    @Test
    void aNewVersionReachesNewDeksWithinTheCacheTimeOrAtTheNextHealthCheckAndOldDeksStillUnwrap() throws Exception {
        FakeKeyVault vault = start(FakeAzure.keyVault(dir, "keyhold-wire"), Map.of("version-cache-ms", "5000"));
        String ref = vault.createKey();
        GeneratedDek v1 = generate(ref);
        vault.rotate(ref);
        // A cache time long enough for a loaded machine: the point is that the cached version is used, then left.
        assertThat(generate(ref).kek().keyVersion()).as("within the cache time").isEqualTo(v1.kek().keyVersion());
        Thread.sleep(5500);
        GeneratedDek v2 = generate(ref);
        assertThat(v2.kek().keyVersion()).isEqualTo(vault.currentVersion(ref)).isNotEqualTo(v1.kek().keyVersion());
        vault.rotate(ref);
        await(kms.checkAccess(ref)); // the health check looks the version up at once
        assertThat(generate(ref).kek().keyVersion()).isEqualTo(vault.currentVersion(ref));
        assertUnwraps(v1);
        assertUnwraps(v2);
    }

    @Test
    void disablingAnOlderVersionLocksOnlyWhatItWrapped() {
        FakeKeyVault vault = start();
        String ref = vault.createKey();
        GeneratedDek old = generate(ref);
        vault.rotate(ref);
        await(kms.describe(ref));
        GeneratedDek fresh = generate(ref);
        vault.enableVersion(ref, old.kek().keyVersion(), false);
        assertDenied(kms.unwrap(old.kek(), old.edek(), ORDERS), Reason.DISABLED);
        assertUnwraps(fresh);
        await(kms.checkAccess(ref));
    }

    @Test
    void anExpiredKeyWrapsNoNewDeksButItsDeksStillUnwrap() {
        FakeKeyVault vault = start();
        String ref = vault.createKey();
        GeneratedDek old = generate(ref);
        vault.dates(ref, null, Instant.now().minusSeconds(60));
        assertThat(await(kms.describe(ref)).state()).isEqualTo(KeyState.DISABLED);
        assertThat(assertDenied(kms.generate(ref, ORDERS), Reason.DISABLED).getMessage()).contains("expiration date");
        assertUnwraps(old);
        assertThat(await(kms.keyProblems(ref))).singleElement().asString().startsWith("the key expired on");
    }

    @Test
    void keyProblemsNameTheFix() {
        FakeKeyVault vault = start();
        assertThat(await(kms.keyProblems(vault.createKey()))).isEmpty();
        assertThat(await(kms.keyProblems(vault.createKey("EC")))).anySatisfy(p ->
                assertThat(p).startsWith("Keyhold needs an RSA key to wrap data keys; this key is EC"));
        String purgeable = vault.createKey();
        vault.recoveryLevel(purgeable, "Recoverable+Purgeable");
        assertThat(await(kms.keyProblems(purgeable))).singleElement().asString()
                .contains("recovery level Recoverable+Purgeable").contains("enable purge protection on the vault");
        String noWrap = vault.createKey();
        vault.keyOps(noWrap, List.of("encrypt", "decrypt", "unwrapKey"));
        assertThat(await(kms.keyProblems(noWrap))).singleElement().asString().contains("do not include wrapKey");
        assertThat(assertDenied(kms.generate(noWrap, ORDERS), Reason.INVALID_KEY).getMessage()).contains("wrapKey and unwrapKey");
        String notYet = vault.createKey();
        vault.dates(notYet, Instant.now().plusSeconds(3600), null);
        assertThat(await(kms.keyProblems(notYet))).singleElement().asString().startsWith("the key is not active before");
        String disabled = vault.createKey();
        vault.disable(disabled);
        assertThat(await(kms.keyProblems(disabled))).singleElement().asString().contains("current version is disabled");
    }

    @Test
    void throttlingAndServerErrorsAreUnavailableNotDenied() {
        FakeKeyVault vault = start();
        String ref = vault.createKey();
        GeneratedDek g = generate(ref);
        vault.misbehave(FakeKeyVault.Mode.THROTTLED_429);
        assertThat(assertUnavailable(kms.unwrap(g.kek(), g.edek(), ORDERS), WITHIN).reason())
                .isEqualTo(KmsUnavailableException.Reason.THROTTLED);
        vault.misbehave(FakeKeyVault.Mode.INTERNAL_500);
        assertThat(assertUnavailable(kms.generate(ref, ORDERS), WITHIN).reason()).isEqualTo(KmsUnavailableException.Reason.INTERNAL);
        vault.misbehave(FakeKeyVault.Mode.NONE);
        assertUnwraps(g);
    }

    @Test
    void aTokenEndpointThatFailsOrCannotBeReachedIsUnavailable() {
        FakeKeyVault vault = start();
        String ref = vault.createKey();
        azure.entra().failing(true);
        assertUnavailable(kms.describe(ref), WITHIN);
        azure.entra().failing(false);
        await(kms.describe(ref));
        kms.close();
        azure.entra().close(); // nothing listens there any more
        kms = azure.connect(); // a new connection: no token yet
        assertThat(assertUnavailable(kms.describe(ref), WITHIN).reason()).isEqualTo(KmsUnavailableException.Reason.NETWORK);
    }

    @Test
    void aRefusedClientSecretIsDenied() {
        FakeKeyVault vault = start();
        String ref = vault.createKey();
        kms.close();
        System.setProperty("AZURE_CLIENT_SECRET", "not-the-secret");
        kms = azure.connect();
        assertThat(assertDenied(kms.describe(ref), Reason.ACCESS_DENIED).getMessage())
                .contains("AADSTS7000215").contains("application " + FakeAzure.CLIENT_ID).doesNotContain("not-the-secret");
    }

    @Test
    void aVaultInAnotherTenantIsReachedOnlyWhenThatTenantIsAllowed() {
        String customer = "9d8c7b6a-5f4e-4d3c-8b2a-1a0f9e8d7c6b";
        FakeKeyVault vault = start(FakeAzure.keyVaultIn(dir, "keyhold-customer", customer), Map.of());
        String ref = vault.createKey();
        assertThat(assertDenied(kms.describe(ref), Reason.ACCESS_DENIED).getMessage()).contains("AZURE_ADDITIONALLY_ALLOWED_TENANTS");
        kms.close();
        System.setProperty("AZURE_ADDITIONALLY_ALLOWED_TENANTS", customer);
        kms = azure.connect();
        assertUnwraps(generate(ref));
        assertThat(azure.entra().tenantsAsked()).contains(customer);
    }

    @Test
    void withoutTheTrustStoreTheVaultsCertificateIsNotTrusted() {
        FakeKeyVault vault = start(FakeAzure.keyVault(dir, "keyhold-wire"), Map.of("trust-store", ""));
        assertThat(assertUnavailable(kms.describe(vault.createKey()), WITHIN).getMessage()).containsIgnoringCase("certification path");
    }

    @Test
    void aManagedHsmKeyRoundTripsAndRsa4096WrapsIn512Bytes() {
        FakeKeyVault hsm = start(FakeAzure.managedHsm(dir, "keyhold-hsm"), Map.of());
        hsm.rsaBits(4096);
        String ref = hsm.createKey();
        assertThat(ref).startsWith("https://keyhold-hsm.managedhsm.azure.net/keys/");
        assertThat(await(kms.describe(ref)).algorithm()).isEqualTo("RSA-HSM 4096");
        GeneratedDek g = generate(ref);
        assertThat(g.edek()).hasSize(512);
        assertUnwraps(g);
        assertThat(azure.entra().tenantsAsked()).containsOnly(FakeAzure.TENANT);
    }
}
