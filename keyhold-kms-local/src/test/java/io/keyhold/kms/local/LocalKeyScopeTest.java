package io.keyhold.kms.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import java.time.Clock;
import java.time.Duration;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two tenants on one real store: each sees and manages only its own keys, under short names. */
class LocalKeyScopeTest {
    @TempDir
    Path dataDir;
    private LocalKms kms;
    private LocalKeyScope first;
    private LocalKeyScope second;

    @BeforeEach
    void open() {
        kms = LocalKms.open(new LocalKmsOptions(dataDir, "pw".toCharArray(), Clock.systemUTC(),
                new LocalKmsOptions.KdfCost(8 * 1024, 1, 1)));
        first = new LocalKeyScope(kms, "org-a", true);
        second = new LocalKeyScope(kms, "org-b", false);
    }

    @AfterEach
    void close() {
        kms.close();
    }

    @Test
    void tenantsHaveTheirOwnKeysUnderTheSameShortName() {
        assertThat(first.create("orders").keyId()).isEqualTo("orders");
        assertThat(second.create("orders").keyId()).isEqualTo("orders");
        assertThat(kms.list()).extracting(KeyInfo::keyId).containsExactly("org-a/orders", "org-b/orders");
        assertThat(first.storeName("orders")).contains("org-a/orders");
        assertThat(second.storeName("orders")).contains("org-b/orders");

        // changing one tenant's key leaves the other's alone
        assertThat(second.disable("orders").state()).isEqualTo(KeyState.DISABLED);
        assertThat(first.describeKey("orders").state()).isEqualTo(KeyState.ENABLED);
        assertThat(second.list()).extracting(KeyInfo::keyId).containsExactly("orders");

        // DEKs of one tenant's key are bound to its store name: the other tenant's key can not open them
        EncryptionContext ctx = EncryptionContext.of(java.util.Map.of("cluster", "lkc-1"));
        GeneratedDek dek = KmsCalls.await(kms.generate("org-a/orders", ctx));
        second.enable("orders");
        KekRef forged = new KekRef(LocalKms.KIND, "org-b/orders", dek.kek().keyVersion());
        assertThatThrownBy(() -> KmsCalls.await(kms.unwrap(forged, dek.edek(), ctx)))
                .isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_CIPHERTEXT));
        dek.dek().destroy();
    }

    @Test
    void anotherTenantsKeyIsNotFoundForEveryOperation() {
        first.create("secret-a");
        for (Consumer<String> op : java.util.List.<Consumer<String>>of(second::describeKey, second::rotateKey, second::disable,
                second::enable, second::cancelDeletion, second::destroy, n -> second.scheduleDeletion(n, Duration.ofDays(1)))) {
            assertNotFound(() -> op.accept("secret-a"));
            // nor by its store name, nor by a path
            assertNotFound(() -> op.accept("org-a/secret-a"));
            assertNotFound(() -> op.accept("../org-a/secret-a"));
        }
        assertThat(second.list()).isEmpty();
        assertThat(second.storeName("org-a/secret-a")).isEmpty();
        assertThat(first.describeKey("secret-a").state()).isEqualTo(KeyState.ENABLED);
        assertThat(first.describeKey("secret-a").currentVersion()).isEqualTo("1");
    }

    @Test
    void unscopedKeysOfEarlierReleasesBelongToTheirOwnerOnly() {
        kms.create("legacy");
        assertThat(first.list()).extracting(KeyInfo::keyId).containsExactly("legacy");
        assertThat(first.storeName("legacy")).contains("legacy");
        assertThat(first.rotateKey("legacy").currentVersion()).isEqualTo("2");
        assertThatThrownBy(() -> first.create("legacy")).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.NAME_TAKEN));

        assertThat(second.list()).isEmpty();
        assertNotFound(() -> second.describeKey("legacy"));
        assertThat(second.storeName("legacy")).contains("org-b/legacy");
        assertThat(second.create("legacy").keyId()).isEqualTo("legacy");
        assertThat(kms.describeKey("org-b/legacy").currentVersion()).isEqualTo("1");
    }

    @Test
    void automaticKeysAreNeitherListedNorReachableNorNameable() {
        String auto = LocalKeyScope.automaticKeyName("org-a", "lkc-1");
        kms.create(auto);
        kms.create(LocalKeyScope.unscopedAutomaticKeyName("lkc-0"));
        assertThat(first.list()).isEmpty();
        assertNotFound(() -> first.disable("keyhold-auto-lkc-1"));
        assertNotFound(() -> first.describeKey("keyhold-auto-lkc-0"));
        assertThat(first.storeName("keyhold-auto-lkc-1")).isEmpty();
        assertThatThrownBy(() -> first.create("keyhold-auto-lkc-2")).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.INVALID_NAME)).hasMessageContaining("reserved");
        assertThat(kms.describeKey(auto).state()).isEqualTo(KeyState.ENABLED);
    }

    @Test
    void storeNamesTakeAtMostOneScope() {
        assertThat(kms.create("scope/name").keyId()).isEqualTo("scope/name");
        for (String bad : new String[] {"a/b/c", "/a", "a/", "../a", "a/..x/b"}) {
            assertThatThrownBy(() -> kms.create(bad)).as(bad).isInstanceOfSatisfying(LocalKmsException.class,
                    e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.INVALID_NAME));
        }
        assertThatThrownBy(() -> first.create("a/b")).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.INVALID_NAME));
    }

    private static void assertNotFound(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(KmsDeniedException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
    }
}
