package io.keyhold.crypto;

import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The encryption DEK cache never waits for its KMS: misses are pending, shared, and rotation asks ahead. */
class EncryptionDekCacheTest {
    private final TestKek kek = new TestKek();
    private final AtomicLong now = new AtomicLong(1_000);
    private final Aad aad = Aad.of("topic:orders");
    private final EncryptionContext orders = EncryptionContext.forTopic("cluster-1", "orders");

    /** The {@link DekPendingException} {@code work} throws; fails the test if it throws nothing or something else. */
    static DekPendingException pendingOf(Runnable work) {
        try {
            work.run();
        } catch (DekPendingException e) {
            return e;
        }
        throw new AssertionError("expected the DEK cache to answer pending");
    }

    /** The envelope header (it holds the EDEK, so it names the DEK) of an envelope of {@code ptLen} bytes. */
    static String dekOf(byte[] envelope, int ptLen) {
        return HexFormat.of().formatHex(envelope, 0, envelope.length - 12 - ptLen - 16);
    }

    @Test
    void aMissIsPendingAtOnceWhileTheKmsHangs() {
        kek.hold();
        EncryptionDekCache cache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);

        DekPendingException pending = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> pendingOf(() -> enc.encrypt("k", orders, new byte[1], aad)));
        assertThat(pending.ready().toCompletableFuture()).isNotDone();
        assertThat(pending.getStackTrace()).isEmpty();
        try (EnvelopeEncryptor.Sealer sealer = enc.sealer("k", orders, aad)) {
            DekPendingException alsoPending = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> pendingOf(() -> sealer.envelopeLength(1)));
            assertThat(alsoPending.ready().toCompletableFuture()).isNotDone();
        }
        assertThat(kek.generated).as("the second miss joined the call under way").hasValue(1);
        assertThat(cache.size()).isZero();

        kek.release();
        WhenReady.await(pending);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(enc.encrypt("k", orders, new byte[1], aad)).isNotEmpty(); // a hit now: no pending
        assertThat(kek.generated).hasValue(1);
    }

    @Test
    void concurrentMissesOnOneKekAndContextMakeOneGenerateCall() throws Exception {
        kek.hold();
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<DekPendingException>> misses = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                misses.add(pool.submit(() -> {
                    start.await();
                    return pendingOf(() -> enc.encrypt("k", orders, new byte[1], aad));
                }));
            }
            start.countDown();
            List<DekPendingException> pendings = new ArrayList<>();
            for (Future<DekPendingException> m : misses) {
                pendings.add(m.get());
            }
            assertThat(kek.generated).hasValue(1);

            kek.release();
            Set<String> deks = new HashSet<>();
            List<Future<byte[]>> retries = new ArrayList<>();
            for (DekPendingException p : pendings) {
                retries.add(pool.submit(() -> {
                    WhenReady.await(p);
                    return enc.encrypt("k", orders, new byte[1], aad);
                }));
            }
            for (Future<byte[]> r : retries) {
                deks.add(dekOf(r.get(), 1));
            }
            assertThat(deks).as("every thread got the one DEK").hasSize(1);
            assertThat(kek.generated).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedGenerationFailsReadyWithTheKmsErrorAndTheNextMissAsksAgain() {
        TestKek.Failure denied = new TestKek.Failure("key k is disabled", false);
        kek.failWith(() -> denied);
        EncryptionDekCache cache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        DekPendingException pending = pendingOf(() -> enc.encrypt("k", orders, new byte[1], aad));
        assertThatThrownBy(() -> WhenReady.await(pending)).isSameAs(denied);
        assertThat(pending.ready().toCompletableFuture()).isCompletedExceptionally();
        assertThat(cache.size()).isZero();

        kek.failWith(null); // the customer re-enabled the key
        assertThat(retry(() -> enc.encrypt("k", orders, new byte[1], aad))).isNotEmpty();
        assertThat(kek.generated).as("a failure is not cached for encryption").hasValue(2);
    }

    @Test
    void aSourceThatBreaksTheContractStillAnswersPending() {
        IllegalStateException bug = new IllegalStateException("provider bug");
        EncryptionDekCache throwing = new EncryptionDekCache((k, c) -> {
            throw bug;
        }, DekRotationPolicy.DEFAULT);
        DekPendingException pending = pendingOf(() -> new EnvelopeEncryptor(throwing).encrypt("k", orders, new byte[1], aad));
        assertThatThrownBy(() -> WhenReady.await(pending)).isSameAs(bug);

        EncryptionDekCache noStage = new EncryptionDekCache((k, c) -> null, DekRotationPolicy.DEFAULT);
        assertThatThrownBy(() -> retry(() -> new EnvelopeEncryptor(noStage).encrypt("k", orders, new byte[1], aad)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no stage");
    }

    @Test
    void aDekThatArrivesAfterAPurgeIsWipedAndNotPutInService() {
        kek.hold();
        EncryptionDekCache cache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        DekPendingException pending = pendingOf(() -> enc.encrypt("k", orders, new byte[1], aad));
        cache.purge(); // the cluster locked while the KMS was answering
        kek.release();
        kek.awaitAnswered();

        DataKey late = kek.lastHandedOut();
        assertThat(late.isDestroyed()).isTrue();
        assertThat(cache.size()).isZero();
        assertThat(pending.ready().toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
        // the retry finds nothing and asks the KMS again, for a DEK of its own
        byte[] e = retry(() -> enc.encrypt("k", orders, new byte[1], aad));
        assertThat(kek.generated).hasValue(2);
        assertThat(kek.lastHandedOut()).isNotSameAs(late);
        assertThat(kek.lastHandedOut().isDestroyed()).isFalse();
        assertThat(e).isNotEmpty();
    }

    @Test
    void theSuccessorIsAskedForAtThreeQuartersOfMaxEncryptionsSoRotationDoesNotMiss() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(8, Duration.ofHours(1)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        byte[] first = retry(() -> enc.encrypt("k", orders, new byte[1], aad));
        DataKey firstDek = kek.lastHandedOut();
        for (int i = 1; i < 6; i++) {
            enc.encrypt("k", orders, new byte[1], aad);
        }
        assertThat(kek.generated).as("uses 0..5 of 8: not yet").hasValue(1);
        enc.encrypt("k", orders, new byte[1], aad); // use 6 = 8 - 8/4
        assertThat(kek.generated).as("asked for in the background").hasValue(2);
        kek.awaitAnswered();

        // From now on no encryption waits: each DEK asks for its successor before it runs out.
        Map<String, Integer> usesPerDek = new HashMap<>();
        usesPerDek.merge(dekOf(first, 1), 1, Integer::sum);
        for (int i = 0; i < 40; i++) {
            byte[] e = enc.encrypt("k", orders, new byte[1], aad); // throws DekPendingException on a miss
            usesPerDek.merge(dekOf(e, 1), 1, Integer::sum);
            kek.awaitAnswered();
        }
        assertThat(firstDek.isDestroyed()).as("replaced by its successor and wiped").isTrue();
        assertThat(usesPerDek.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(8));
        assertThat(usesPerDek).hasSizeGreaterThanOrEqualTo(41 / 8 + 1);
    }

    @Test
    void aMissAtRetirementJoinsTheSuccessorAlreadyOnItsWay() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(8, Duration.ofHours(1)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        retry(() -> enc.encrypt("k", orders, new byte[1], aad));
        kek.hold(); // the KMS is slow to deliver the successor
        for (int i = 1; i < 8; i++) {
            enc.encrypt("k", orders, new byte[1], aad); // uses 1..7; the successor is asked for at use 6
        }
        assertThat(kek.generated).hasValue(2);
        DekPendingException pending = pendingOf(() -> enc.encrypt("k", orders, new byte[1], aad)); // use 8: used up
        assertThat(kek.generated).as("no second request for the same successor").hasValue(2);
        kek.release();
        WhenReady.await(pending);
        enc.encrypt("k", orders, new byte[1], aad);
        assertThat(kek.generated).hasValue(2);
    }

    @Test
    void theSuccessorIsAskedForAtThreeQuartersOfMaxAge() {
        EncryptionDekCache cache = new EncryptionDekCache(kek, new DekRotationPolicy(1_000_000, Duration.ofSeconds(8)), now::get);
        EnvelopeEncryptor enc = new EnvelopeEncryptor(cache);
        byte[] first = retry(() -> enc.encrypt("k", orders, new byte[1], aad));
        now.addAndGet(Duration.ofMillis(5_999).toNanos());
        enc.encrypt("k", orders, new byte[1], aad);
        assertThat(kek.generated).hasValue(1);
        now.addAndGet(Duration.ofMillis(1).toNanos());
        enc.encrypt("k", orders, new byte[1], aad);
        assertThat(kek.generated).hasValue(2);
        kek.awaitAnswered();
        now.addAndGet(Duration.ofSeconds(2).toNanos()); // the first DEK's maximum age
        byte[] later = enc.encrypt("k", orders, new byte[1], aad); // no miss
        assertThat(dekOf(later, 1)).isNotEqualTo(dekOf(first, 1));
        assertThat(kek.generated).hasValue(2);
    }

    @Test
    void sealersNeverRepeatAnIvAcrossDekRotationAndEverythingOpens() throws Exception {
        int maxUses = 5;
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, new DekRotationPolicy(maxUses, Duration.ofHours(1))));
        int threads = 4;
        int batches = 40;
        int perBatch = 7; // more than a DEK's life: every batch rotates mid-run
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<byte[]> envelopes = new ArrayList<>();
        try {
            List<Future<List<byte[]>>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                work.add(pool.submit(() -> {
                    List<byte[]> out = new ArrayList<>();
                    for (int b = 0; b < batches; b++) {
                        try (EnvelopeEncryptor.Sealer sealer = enc.sealer("k", orders, aad)) {
                            for (int r = 0; r < perBatch; r++) {
                                byte[] pt = {(byte) thread, (byte) b, (byte) r};
                                byte[] e = new byte[retry(() -> sealer.envelopeLength(pt.length))];
                                assertThat(sealer.seal(pt, 0, pt.length, e, 0)).isEqualTo(e.length);
                                out.add(e);
                            }
                        }
                    }
                    return out;
                }));
            }
            for (Future<List<byte[]>> w : work) {
                envelopes.addAll(w.get());
            }
        } finally {
            pool.shutdownNow();
        }
        int total = threads * batches * perBatch;
        assertThat(envelopes).hasSize(total);
        Set<String> dekAndIv = new HashSet<>();
        Map<String, Integer> usesPerDek = new HashMap<>();
        EnvelopeDecryptor dec = new EnvelopeDecryptor(new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 10_000, Duration.ofMinutes(5)));
        Set<String> plaintexts = new HashSet<>();
        for (byte[] e : envelopes) {
            dekAndIv.add(HexFormat.of().formatHex(e, 0, e.length - 3 - 16));
            usesPerDek.merge(dekOf(e, 3), 1, Integer::sum);
            plaintexts.add(Arrays.toString(retry(() -> dec.decrypt(e, orders, aad))));
        }
        assertThat(dekAndIv).as("(DEK, IV) pairs are unique").hasSize(total);
        assertThat(plaintexts).hasSize(total);
        assertThat(usesPerDek.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(maxUses));
        assertThat(kek.generated.get()).isGreaterThanOrEqualTo(total / maxUses);
    }

    /**
     * The cache reads its clock while it puts an arriving DEK in service; this clock lets another
     * thread miss at exactly that moment. The miss must join the call that is delivering the DEK.
     */
    @Test
    void aMissWhileTheArrivingDekIsPutInServiceJoinsThatCall() throws Exception {
        AtomicReference<EncryptionDekCache> cacheRef = new AtomicReference<>();
        AtomicBoolean armed = new AtomicBoolean(true);
        CompletableFuture<Object> otherThread = new CompletableFuture<>();
        LongSupplier clock = () -> {
            if (Thread.currentThread().getName().equals(TestKek.THREAD_NAME) && armed.getAndSet(false)) {
                Thread t = new Thread(() -> {
                    try {
                        otherThread.complete(new EnvelopeEncryptor(cacheRef.get()).encrypt("k", orders, new byte[1], aad));
                    } catch (RuntimeException e) {
                        otherThread.complete(e);
                    }
                });
                t.start();
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return now.get();
        };
        EncryptionDekCache cache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT, clock);
        cacheRef.set(cache);
        kek.hold(); // so that the DEK arrives on the KMS's thread, after the miss registered for it
        DekPendingException pending = pendingOf(() -> new EnvelopeEncryptor(cache).encrypt("k", orders, new byte[1], aad));
        kek.release();
        WhenReady.await(pending);
        kek.awaitAnswered();

        Object other = otherThread.get(5, TimeUnit.SECONDS);
        assertThat(other).isInstanceOf(DekPendingException.class);
        assertThat(((DekPendingException) other).ready()).as("the call under way").isSameAs(pending.ready());
        assertThat(kek.generated).as("one DEK, one KMS call").hasValue(1);
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void prepareAsksAheadAndIsDoneAtOnceWhenADekIsInService() {
        kek.hold();
        EncryptionDekCache cache = new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT);
        CompletableFuture<Void> prepared = cache.prepare("k", orders);
        assertThat(prepared).isNotDone();
        assertThat(kek.generated).hasValue(1);
        kek.release();
        prepared.join();
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.prepare("k", orders)).isDone();
        assertThat(new EnvelopeEncryptor(cache).encrypt("k", orders, new byte[1], aad)).isNotEmpty();
        assertThat(kek.generated).hasValue(1);
    }
}
