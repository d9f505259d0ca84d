package io.keyhold.kms.aws;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import org.junit.jupiter.api.Test;

/** Aliases: the KEK reference keeps the alias, its version pins the key the alias pointed to. */
class AwsAliasTest extends FakeAwsTestBase {

    @Test
    void aMovedAliasShowsAsANewVersionAndOldDeksUnwrapWhileTheOldKeyIsEnabled() {
        String first = fake.createKey();
        String alias = fake.createAlias(first);
        KeyInfo before = await(kms.describe(alias));
        assertThat(before.keyId()).isEqualTo(first);
        assertThat(before.currentVersion()).isEqualTo(first);
        GeneratedDek old = generate(alias);
        assertThat(old.kek().keyId()).isEqualTo(alias);
        assertThat(old.kek().keyVersion()).isEqualTo(first);

        String second = fake.createKey();
        fake.moveAlias(alias, second);
        KeyInfo after = await(kms.describe(alias));
        assertThat(after.keyId()).isEqualTo(second);
        assertThat(after.currentVersion()).isEqualTo(second);
        GeneratedDek fresh = generate(alias);
        assertThat(fresh.kek().keyId()).isEqualTo(alias);
        assertThat(fresh.kek().keyVersion()).isEqualTo(second);
        assertUnwraps(old);
        assertUnwraps(fresh);

        fake.disable(first); // the customer retires the old key: only what it wrapped is locked
        assertDenied(kms.unwrap(old.kek(), old.edek(), ORDERS), Reason.DISABLED);
        assertUnwraps(fresh);
    }

    @Test
    void unwrapAsksForTheKeyTheVersionNamesNotTheAlias() {
        String key = fake.createKey();
        String alias = fake.createAlias(key);
        GeneratedDek g = generate(alias);
        fake.moveAlias(alias, fake.createKey());
        long decrypts = fake.count("Decrypt");
        assertUnwraps(g);
        assertThat(fake.count("Decrypt")).isEqualTo(decrypts + 1); // one call, straight to the right key
    }

    @Test
    void rotatingAnAliasRotatesItsTargetKeysMaterial() {
        String key = fake.createKey();
        String alias = fake.createAlias(key);
        GeneratedDek old = generate(alias);
        String material = fake.currentMaterial(key);
        KeyInfo info = await(kms.rotate(alias));
        assertThat(info.keyId()).isEqualTo(key);
        assertThat(fake.currentMaterial(key)).isNotEqualTo(material);
        GeneratedDek fresh = generate(alias);
        assertThat(FakeAwsKms.materialOf(fresh.edek())).isEqualTo(fake.currentMaterial(key));
        assertThat(FakeAwsKms.materialOf(old.edek())).isEqualTo(material);
        assertUnwraps(old);
        assertUnwraps(fresh);
    }
}
