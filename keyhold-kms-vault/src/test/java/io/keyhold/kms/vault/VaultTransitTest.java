package io.keyhold.kms.vault;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.assertUnwraps;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.vault.fake.FakeVault;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What only Vault's Transit engine does: versions and min_decryption_version, AppRole, namespaces, its key settings. */
class VaultTransitTest {
    private static final EncryptionContext ORDERS = EncryptionContext.forTopic("lkc-1", "orders");
    private FakeVault vault;

    @AfterEach
    void stop() {
        vault.close();
    }

    @Test
    void versionsFollowRotationAndAVersionBelowMinDecryptionVersionIsDeniedUntilLowered() {
        vault = FakeVault.start();
        try (Kms kms = VaultKms.open(vault.tokenConfig())) {
            String ref = vault.createKey();
            GeneratedDek v1 = await(kms.generate(ref, ORDERS));
            assertThat(v1.kek().keyVersion()).isEqualTo("1");
            assertThat(v1.edek()).hasSize(60); // nonce, sealed DEK, tag: the "vault:v1:" prefix is rebuilt from the version
            KeyInfo rotated = await(kms.rotate(ref));
            assertThat(rotated.currentVersion()).isEqualTo("2");
            GeneratedDek v2 = await(kms.generate(ref, ORDERS));
            assertThat(v2.kek().keyVersion()).isEqualTo("2");
            assertUnwraps(kms, v1, ORDERS);
            vault.minDecryptionVersion(ref, 2);
            assertDenied(kms.unwrap(v1.kek(), v1.edek(), ORDERS), Reason.DISABLED);
            assertUnwraps(kms, v2, ORDERS);
            await(kms.checkAccess(ref)); // the key itself still serves: the cluster keeps running
            vault.minDecryptionVersion(ref, 1);
            assertUnwraps(kms, v1, ORDERS);
        }
    }

    @Test
    void approleLogsInRenewsBeforeTheLeaseEndsAndLogsInAgainWhenTheTokenIsGone() {
        vault = FakeVault.start();
        vault.leaseSeconds(30);
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        try (Kms kms = new VaultKms(io.keyhold.kms.vault.internal.VaultSettings.from(vault.approleConfig()), clock)) {
            String ref = vault.createKey();
            await(kms.checkAccess(ref));
            assertThat(vault.count("login")).isEqualTo(1);
            now.set(now.get().plus(Duration.ofSeconds(21))); // past two thirds of 30 s
            await(kms.checkAccess(ref));
            assertThat(vault.count("renew")).isEqualTo(1);
            assertThat(vault.count("login")).isEqualTo(1);
            now.set(now.get().plus(Duration.ofSeconds(31))); // the renewed lease is over too: a new login
            await(kms.checkAccess(ref));
            assertThat(vault.count("login")).isEqualTo(2);
        }
    }

    @Test
    void theNamespaceHeaderIsSentWhenConfigured() {
        vault = FakeVault.start("team-kafka");
        String ref = vault.createKey();
        try (Kms kms = VaultKms.open(vault.tokenConfig())) {
            await(kms.checkAccess(ref));
            assertThat(await(kms.describe(ref)).keyId()).isEqualTo("team-kafka/" + ref);
        }
        try (Kms other = VaultKms.open(vault.tokenConfig().with("namespace", "someone-else"))) {
            assertDenied(other.describe(ref), Reason.ACCESS_DENIED);
        }
    }

    @Test
    void keysKeyholdMustNotUseAreProblemsThatNameTheFix() {
        vault = FakeVault.start();
        try (Kms kms = VaultKms.open(vault.tokenConfig())) {
            assertThat(await(kms.keyProblems(vault.createKey()))).isEmpty();
            assertThat(await(kms.keyProblems(vault.createKey("rsa-2048", false)))).anySatisfy(p -> assertThat(p).contains("aes256-gcm96"));
            assertThat(await(kms.keyProblems(vault.createKey("aes256-gcm96", true)))).anySatisfy(p -> assertThat(p).contains("derived"));
            String deletable = vault.createKey();
            vault.deletionAllowed(deletable, true);
            assertThat(await(kms.keyProblems(deletable))).anySatisfy(p -> assertThat(p).contains("deletion_allowed=false"));
            String disabled = vault.createKey();
            vault.disable(disabled);
            assertThat(await(kms.keyProblems(disabled))).containsExactly("the key is disabled");
        }
    }
}
