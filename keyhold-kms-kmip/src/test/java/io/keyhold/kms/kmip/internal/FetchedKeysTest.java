package io.keyhold.kms.kmip.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FetchedKeysTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger fetches = new AtomicInteger();
    private final FetchedKeys keys = new FetchedKeys(Duration.ofSeconds(30), now::get);

    private DataKey fetch() {
        fetches.incrementAndGet();
        return DataKey.generate();
    }

    @Test
    void aLeaseIsACopyOfItsOwnAndTheKeyIsFetchedOncePerLifetime() {
        DataKey first = keys.lease("hsm/1", this::fetch);
        byte[] bytes = first.withKeyBytes(byte[]::clone);
        first.destroy(); // the caller's copy only
        try (DataKey second = keys.lease("hsm/1", this::fetch)) {
            assertThat(second.withKeyBytes(byte[]::clone)).isEqualTo(bytes);
        }
        assertThat(fetches).hasValue(1);
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(keys.holds("hsm/1")).isFalse();
        keys.lease("hsm/1", this::fetch).destroy();
        assertThat(fetches).hasValue(2);
    }

    @Test
    void wipeAllForgetsEveryKeyAndALeaseTakenBeforeStillWorks() {
        DataKey lease = keys.lease("hsm/1", this::fetch);
        keys.lease("hsm/2", this::fetch).destroy();
        keys.wipeAll();
        assertThat(keys.holds("hsm/1")).isFalse();
        assertThat(keys.holds("hsm/2")).isFalse();
        assertThat(lease.isDestroyed()).isFalse();
        lease.destroy();
    }
}
