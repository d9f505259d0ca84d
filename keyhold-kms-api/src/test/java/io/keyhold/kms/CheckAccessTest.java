package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The default {@link Kms#checkAccess}: a real generate and unwrap round trip, wiping both DEKs. */
class CheckAccessTest {
    private final DataKey generated = DataKey.generate();
    private final GeneratedDek dek = new GeneratedDek(generated, new KekRef("scripted", "k", "1"), new byte[] {1});

    @Test
    void aRoundTripToTheSameBytesPassesAndWipesBothKeys() {
        DataKey back = generated.duplicate();
        ScriptedKms kms = new ScriptedKms().thenAnswer(dek).thenAnswer(back);
        KmsCalls.await(kms.checkAccess("k"));
        assertThat(kms.calls()).isEqualTo(2);
        assertThat(generated.isDestroyed()).isTrue();
        assertThat(back.isDestroyed()).isTrue();
    }

    @Test
    void anUnwrapToOtherBytesIsAnInvalidKey() {
        DataKey other = DataKey.generate();
        ScriptedKms kms = new ScriptedKms().thenAnswer(dek).thenAnswer(other);
        assertThatThrownBy(() -> KmsCalls.await(kms.checkAccess("k")))
                .isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(KmsDeniedException.Reason.INVALID_KEY));
        assertThat(generated.isDestroyed()).isTrue();
        assertThat(other.isDestroyed()).isTrue();
    }

    @Test
    void aKeyThatMayWrapButNotUnwrapFailsWithTheUnwrapsError() {
        KmsDeniedException noUnwrap = new KmsDeniedException(KmsDeniedException.Reason.ACCESS_DENIED, "kms:Decrypt not allowed");
        ScriptedKms kms = new ScriptedKms().thenAnswer(dek).then(() -> CompletableFuture.supplyAsync(() -> {
            throw noUnwrap;
        }));
        assertThatThrownBy(() -> KmsCalls.await(kms.checkAccess("k"))).isSameAs(noUnwrap);
        assertThat(generated.isDestroyed()).as("the generated DEK is wiped on failure too").isTrue();
    }

    @Test
    void aFailedGenerateIsTheFailure() {
        KmsDeniedException disabled = new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "key k is disabled");
        ScriptedKms kms = new ScriptedKms().thenFail(disabled);
        assertThatThrownBy(() -> KmsCalls.await(kms.checkAccess("k"))).isSameAs(disabled);
        assertThat(kms.calls()).isEqualTo(1);
    }
}
