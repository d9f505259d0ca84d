package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KmsRegistryTest {
    private final List<String> settingsAskedFor = new CopyOnWriteArrayList<>();
    private final KmsRegistry registry = new KmsRegistry(kind -> {
        settingsAskedFor.add(kind);
        return KmsConfig.of(Map.of("region", "region-of-" + kind));
    }, RetryPolicy.DEFAULT);

    @BeforeEach
    void reset() {
        CountingProviders.reset();
    }

    @Test
    void eachKindIsOpenedOnceFromItsOwnSettingsAndShared() {
        Kms alpha = registry.get("counting-alpha");
        assertThat(registry.get("counting-alpha")).isSameAs(alpha);
        Kms beta = registry.get("counting-beta");
        assertThat(beta).isNotSameAs(alpha);
        assertThat(registry.get("counting-beta")).isSameAs(beta);

        assertThat(CountingProviders.opened("counting-alpha")).hasSize(1);
        assertThat(CountingProviders.opened("counting-beta")).hasSize(1);
        assertThat(settingsAskedFor).containsExactly("counting-alpha", "counting-beta");
        assertThat(KmsCalls.await(alpha.describe("k")).region()).isEqualTo("region-of-counting-alpha");
    }

    @Test
    void connectionsAreResilientAndTheProvidersOwnIsReachable() {
        Kms alpha = registry.get("counting-alpha");
        assertThat(alpha).isInstanceOf(ResilientKms.class);
        CountingProviders.Connection own = CountingProviders.opened("counting-alpha").get(0);
        assertThat(((ResilientKms) alpha).delegate()).isSameAs(own);
        assertThat(registry.unwrapped("counting-alpha", CountingProviders.Connection.class)).isSameAs(own);
        assertThat(CountingProviders.OPENED).hasSize(1);
    }

    @Test
    void concurrentFirstUsesOpenOneConnection() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Kms>> gets = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                gets.add(pool.submit(() -> {
                    start.await();
                    return registry.get("counting-alpha");
                }));
            }
            start.countDown();
            Kms first = gets.get(0).get();
            for (Future<Kms> g : gets) {
                assertThat(g.get()).isSameAs(first);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(CountingProviders.opened("counting-alpha")).hasSize(1);
    }

    @Test
    void aKindIsOneConnectionWhateverItsCase() {
        Kms lower = registry.get("counting-alpha");
        assertThat(registry.get("Counting-Alpha")).isSameAs(lower);
        assertThat(registry.get("COUNTING-ALPHA")).isSameAs(lower);
        assertThat(CountingProviders.opened("counting-alpha")).hasSize(1);
        assertThat(settingsAskedFor).containsExactly("counting-alpha");
    }

    @Test
    void closeClosesEveryConnectionAndRefusesFurtherUse() {
        registry.get("counting-alpha");
        registry.get("counting-beta");
        registry.close();
        assertThat(CountingProviders.OPENED).hasSize(2).allSatisfy(c -> assertThat(c.closes).isEqualTo(1));
        assertThatThrownBy(() -> registry.get("counting-alpha")).isInstanceOf(IllegalStateException.class);
        assertThat(CountingProviders.OPENED).hasSize(2);
    }

    @Test
    void closeClosesTheOthersWhenOneConnectionFailsToClose() {
        registry.get("counting-alpha");
        registry.get("counting-beta");
        IllegalStateException alphaFailure = new IllegalStateException("socket already broken");
        IllegalStateException betaFailure = new IllegalStateException("flush failed");
        CountingProviders.opened("counting-alpha").get(0).closeFailure = alphaFailure;
        CountingProviders.opened("counting-beta").get(0).closeFailure = betaFailure;
        Throwable thrown = catchThrowable(registry::close);
        assertThat(thrown).isIn(alphaFailure, betaFailure);
        assertThat(thrown.getSuppressed()).containsExactly(thrown == alphaFailure ? betaFailure : alphaFailure);
        assertThat(CountingProviders.OPENED).allSatisfy(c -> assertThat(c.closes).isEqualTo(1));
        assertThatThrownBy(() -> registry.get("counting-beta")).isInstanceOf(IllegalStateException.class);
        registry.close(); // nothing left to close
        assertThat(CountingProviders.OPENED).allSatisfy(c -> assertThat(c.closes).isEqualTo(1));
    }

    @Test
    void anUnknownKindSaysWhatIsInstalled() {
        assertThatThrownBy(() -> registry.get("hsm"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'hsm'")
                .hasMessageContaining("counting-alpha, counting-beta");
        assertThat(registry.provider("counting-beta")).get().extracting(KmsProvider::kind).isEqualTo("counting-beta");
        assertThat(registry.provider("hsm")).isEmpty();
    }

    @Test
    void unusableSettingsOpenNothingAndCanBeRetried() {
        KmsRegistry broken = new KmsRegistry(kind -> KmsConfig.of(Map.of("broken", "yes")), RetryPolicy.DEFAULT);
        assertThatThrownBy(() -> broken.get("counting-beta")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broken");
        assertThatThrownBy(() -> broken.get("counting-beta")).isInstanceOf(IllegalArgumentException.class);
        assertThat(CountingProviders.OPENED).isEmpty();
        broken.close();
    }
}
