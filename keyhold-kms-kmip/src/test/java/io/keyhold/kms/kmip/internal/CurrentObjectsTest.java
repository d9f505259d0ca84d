package io.keyhold.kms.kmip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CurrentObjectsTest {
    @Test
    void theNewestActiveObjectWrapsAndNumericIdentifiersBreakTiesByNumber() {
        KeyAttributes old = key("9", KmipEnums.State.ACTIVE, 100);
        KeyAttributes newer = key("10", KmipEnums.State.ACTIVE, 100);
        KeyAttributes revoked = key("11", KmipEnums.State.DEACTIVATED, 200);
        assertThat(CurrentObjects.pick(List.of(newer, revoked, old))).contains(newer);
        assertThat(CurrentObjects.pick(List.of(old, key("a", KmipEnums.State.ACTIVE, 101)))).map(KeyAttributes::uid).contains("a");
    }

    @Test
    void withNoActiveObjectTheNewestTellsWhy() {
        KeyAttributes revoked = key("3", KmipEnums.State.DEACTIVATED, 200);
        assertThat(CurrentObjects.pick(List.of(key("2", KmipEnums.State.COMPROMISED, 100), revoked))).contains(revoked);
        assertThat(CurrentObjects.pick(List.of())).isEmpty();
    }

    private static KeyAttributes key(String uid, int state, long initialDate) {
        return new KeyAttributes(uid, KmipEnums.ObjectType.SYMMETRIC_KEY, state, KmipEnums.CryptographicAlgorithm.AES, 256, 12,
                initialDate, List.of("k"));
    }
}
