package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static io.keyhold.kms.testkit.KmsAssertions.keyBytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.testkit.KmsFakeAdmin.CanCauseOutages.Outage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link io.keyhold.kms.Kms} provider owes Keyhold, as JUnit 5 tests. A provider's
 * test class extends this, connects to the provider's wire-level fake (or, in a live profile, the real
 * service) in {@link #connect()} and drives it through {@link #admin()}; see the module's README.
 * What only some admins can do has its tests in the capability interfaces the test class implements
 * as well: {@link DeletionConformance}, {@link AccessDenialConformance}, {@link OutageConformance}.
 */
public abstract class KmsConformanceSuite extends KeyWrapConformance {
    @Test
    void generatesA256BitDekThatUnwrapsToTheSameBytes() {
        String ref = admin().createKey();
        GeneratedDek g = generate(ref, ORDERS);
        GeneratedDek other = generate(ref, ORDERS);
        byte[] dek = keyBytes(g.dek());
        assertThat(dek).hasSize(DataKey.LENGTH);
        assertThat(keyBytes(other.dek())).as("a second DEK").isNotEqualTo(dek);
        assertThat(KeyBytesScan.indexOf(g.edek(), dek)).as("position of the DEK's bytes in the EDEK").isEqualTo(-1);
        assertThat(g.kek()).isEqualTo(new KekRef(kms().kind(), ref, g.kek().keyVersion()));
        assertUnwraps(g, ORDERS);
        assertUnwraps(other, ORDERS);
    }

    @Test
    void aDekUnwrapsOnlyWithTheContextItWasWrappedWith() {
        String ref = admin().createKey();
        GeneratedDek g = generate(ref, ORDERS);
        List<EncryptionContext> others = List.of(
                EncryptionContext.forTopic("cluster-b", "orders"),
                EncryptionContext.forTopic("cluster-a", "payments"),
                EncryptionContext.forPurpose("orders"),
                EncryptionContext.of(Map.of(EncryptionContext.CLUSTER, "cluster-a", EncryptionContext.TOPIC, "orders", "extra", "x")));
        for (EncryptionContext other : others) {
            assertDenied(kms().unwrap(g.kek(), g.edek(), other), Reason.INVALID_CIPHERTEXT);
        }
        assertUnwraps(g, ORDERS);
    }

    @Test
    void aDamagedEdekOrOneOfAnotherKeyIsInvalidCiphertext() {
        String ref = admin().createKey();
        GeneratedDek g = generate(ref, ORDERS);
        byte[] edek = g.edek();
        for (int pos : new int[] {0, edek.length / 2, edek.length - 1}) {
            byte[] damaged = edek.clone();
            damaged[pos] ^= 0x01;
            assertDenied(kms().unwrap(g.kek(), damaged, ORDERS), Reason.INVALID_CIPHERTEXT);
        }
        assertDenied(kms().unwrap(g.kek(), Arrays.copyOf(edek, edek.length - 1), ORDERS), Reason.INVALID_CIPHERTEXT);
        GeneratedDek foreign = generate(admin().createKey(), ORDERS);
        assertDenied(kms().unwrap(g.kek(), foreign.edek(), ORDERS), Reason.INVALID_CIPHERTEXT);
    }

    @Test
    void badArgumentsFailTheStageInsteadOfThrowing() {
        String ref = admin().createKey();
        GeneratedDek g = generate(ref, ORDERS);
        Map<String, Supplier<CompletionStage<?>>> calls = new LinkedHashMap<>();
        calls.put("generate without context", () -> raw().generate(ref, null));
        calls.put("unwrap without EDEK", () -> raw().unwrap(g.kek(), null, ORDERS));
        calls.put("unwrap of another provider's KEK", () -> raw().unwrap(new KekRef("not-" + raw().kind(), ref, ""), g.edek(), ORDERS));
        for (Map.Entry<String, Supplier<CompletionStage<?>>> call : calls.entrySet()) {
            CompletionStage<?> stage = call.getValue().get(); // must not throw
            assertThat(failure(stage)).as(call.getKey()).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void noKeyBytesInAnyTextOrError() {
        String ref = admin().createKey();
        GeneratedDek g = generate(ref, ORDERS);
        KeyBytesScan scan = new KeyBytesScan(keyBytes(g.dek()));
        List<Object> texts = new ArrayList<>(List.of(g, g.dek(), g.kek(), ORDERS, await(kms().describe(ref))));
        try (DataKey back = await(kms().unwrap(g.kek(), g.edek(), ORDERS))) {
            texts.add(back);
        }
        texts.add(failure(kms().unwrap(g.kek(), g.edek(), EncryptionContext.forTopic("cluster-b", "orders"))));
        byte[] damaged = g.edek();
        damaged[damaged.length / 2] ^= 0x01;
        texts.add(failure(kms().unwrap(g.kek(), damaged, ORDERS)));
        admin().disable(ref);
        texts.add(failure(kms().unwrap(g.kek(), g.edek(), ORDERS)));
        texts.add(failure(kms().generate(ref, ORDERS)));
        admin().enable(ref);
        if (this instanceof OutageConformance outages) {
            outages.admin().outage(Outage.ERROR_503);
            texts.add(failure(kms().unwrap(g.kek(), g.edek(), ORDERS)));
            outages.admin().outage(Outage.NONE);
        }
        scan.assertAbsentFrom(texts.toArray());
    }

    @Test
    void manyThreadsGenerateAndUnwrapCorrectly() throws Exception {
        String ref = admin().createKey();
        int threads = 8;
        int each = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                EncryptionContext context = EncryptionContext.forTopic("cluster-a", "topic-" + t);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        GeneratedDek g = generate(ref, context);
                        assertUnwraps(g, context);
                        g.dek().destroy();
                    }
                    return each;
                }));
            }
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get();
            }
            assertThat(total).isEqualTo(threads * each);
        } finally {
            pool.shutdownNow();
        }
    }
}
