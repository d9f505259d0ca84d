package io.keyhold.crypto;

import static io.keyhold.crypto.EncryptionDekCacheTest.pendingOf;
import static io.keyhold.crypto.WhenReady.retry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.github.benmanes.caffeine.cache.Ticker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The decryption DEK cache never waits for its KMS, binds each DEK to its context, and remembers failures briefly. */
class DecryptionDekCacheTest {
    private final TestKek kek = new TestKek();
    private final AtomicLong ticks = new AtomicLong();
    private final DecryptionDekCache cache = new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 100, Duration.ofMinutes(5), ticks::get);
    private final EnvelopeDecryptor dec = new EnvelopeDecryptor(cache);
    private final Aad aad = Aad.of("topic:orders");
    private final EncryptionContext orders = EncryptionContext.forTopic("cluster-1", "orders");
    private final EncryptionContext payments = EncryptionContext.forTopic("cluster-1", "payments");
    private final byte[] secret = "attack at dawn".getBytes(StandardCharsets.UTF_8);
    /** An envelope whose DEK was wrapped for the orders topic. */
    private final byte[] envelope = encrypt(orders);

    private byte[] encrypt(EncryptionContext context) {
        EnvelopeEncryptor enc = new EnvelopeEncryptor(new EncryptionDekCache(kek, DekRotationPolicy.DEFAULT));
        return retry(() -> enc.encrypt("k", context, secret, aad));
    }

    private void advance(Duration d) {
        ticks.addAndGet(d.toNanos());
    }

    @Test
    void aMissIsPendingUntilTheUnwrapArrivesThenHits() {
        kek.hold();
        DekPendingException pending = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> pendingOf(() -> dec.decrypt(envelope, orders, aad)));
        assertThat(pending.ready().toCompletableFuture()).isNotDone();
        assertThat(kek.unwrapped).hasValue(1);
        assertThat(cache.size()).isZero();
        // an opener, or a second look, joins the unwrap under way
        try (EnvelopeDecryptor.Opener opener = dec.opener(orders, aad)) {
            pendingOf(() -> opener.open(envelope, 0, envelope.length, new byte[envelope.length], 0));
        }
        assertThat(kek.unwrapped).hasValue(1);

        kek.release();
        WhenReady.await(pending);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(dec.decrypt(envelope, orders, aad)).isEqualTo(secret); // a hit: no pending
        assertThat(new EnvelopeDecryptor(cache).decrypt(envelope, orders, aad)).isEqualTo(secret); // from the cache, not a thread's memo
        assertThat(kek.unwrapped).hasValue(1);
    }

    @Test
    void concurrentMissesOnOneEdekShareOneUnwrap() throws Exception {
        kek.hold();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                reads.add(pool.submit(() -> {
                    start.await();
                    DekPendingException p = pendingOf(() -> dec.decrypt(envelope, orders, aad));
                    WhenReady.await(p);
                    return dec.decrypt(envelope, orders, aad);
                }));
            }
            start.countDown();
            while (kek.unwrapped.get() == 0) {
                Thread.onSpinWait();
            }
            Thread.sleep(50); // let the other threads miss too, while the KMS hangs
            assertThat(kek.unwrapped).hasValue(1);
            kek.release();
            for (Future<byte[]> r : reads) {
                assertThat(r.get()).isEqualTo(secret);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(kek.unwrapped).hasValue(1);
    }

    @Test
    void theSameEdekUnderAnotherContextIsRefusedWithoutAnotherUnwrap() {
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).isEqualTo(secret);
        // the record copied into the payments topic: its DEK was not wrapped for that topic
        assertThatThrownBy(() -> dec.decrypt(envelope, payments, aad))
                .isInstanceOf(CryptoException.class)
                .isNotInstanceOf(DekPendingException.class)
                .hasMessageContaining("another topic or cluster");
        try (EnvelopeDecryptor.Opener opener = dec.opener(payments, aad)) {
            assertThatThrownBy(() -> opener.open(envelope, 0, envelope.length, new byte[envelope.length], 0))
                    .isInstanceOf(CryptoException.class);
        }
        assertThatThrownBy(() -> new EnvelopeDecryptor(cache).decrypt(envelope, payments, aad)).isInstanceOf(CryptoException.class);
        assertThat(kek.unwrapped).as("refused from the cache, as the KMS would refuse it").hasValue(1);
        assertThat(dec.decrypt(envelope, orders, aad)).isEqualTo(secret);
    }

    @Test
    void aRefusalIsRememberedForTheRefusalMemoryThenAskedAgain() {
        TestKek.Failure disabled = new TestKek.Failure("key k is disabled", false);
        kek.failWith(() -> disabled);
        assertThatThrownBy(() -> retry(() -> dec.decrypt(envelope, orders, aad))).isSameAs(disabled);
        assertThat(kek.unwrapped).hasValue(1);

        assertThatThrownBy(() -> dec.decrypt(envelope, orders, aad)).as("answered from memory, no pending").isSameAs(disabled);
        advance(DecryptionDekCache.OUTAGE_MEMORY.plusMillis(1)); // longer than an outage is remembered
        assertThatThrownBy(() -> dec.decrypt(envelope, orders, aad)).isSameAs(disabled);
        advance(DecryptionDekCache.REFUSAL_MEMORY.minus(DecryptionDekCache.OUTAGE_MEMORY).minusMillis(2));
        assertThatThrownBy(() -> dec.decrypt(envelope, orders, aad)).isSameAs(disabled);
        assertThat(kek.unwrapped).hasValue(1);

        kek.failWith(null); // the customer re-enabled the key
        advance(Duration.ofMillis(2));
        pendingOf(() -> dec.decrypt(envelope, orders, aad));
        assertThat(kek.unwrapped).hasValue(2);
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).isEqualTo(secret);
    }

    @Test
    void anOutageIsRememberedOnlyForTheOutageMemory() {
        kek.failWith(() -> new TestKek.Failure("KMS unreachable", true));
        Throwable first = catchThrowable(() -> retry(() -> dec.decrypt(envelope, orders, aad)));
        assertThat(first).isInstanceOf(TestKek.Failure.class).hasMessage("KMS unreachable");
        advance(DecryptionDekCache.OUTAGE_MEMORY.minusMillis(1));
        assertThatThrownBy(() -> dec.decrypt(envelope, orders, aad)).isSameAs(first);
        assertThat(kek.unwrapped).hasValue(1);

        advance(Duration.ofMillis(2));
        kek.failWith(null);
        pendingOf(() -> dec.decrypt(envelope, orders, aad));
        assertThat(kek.unwrapped).hasValue(2);
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).isEqualTo(secret);
    }

    @Test
    void anUnwrapperThatBreaksTheContractStillAnswersPending() {
        IllegalStateException bug = new IllegalStateException("provider bug");
        EnvelopeDecryptor throwing = new EnvelopeDecryptor(new DecryptionDekCache((k, e, c) -> {
            throw bug;
        }, KekPolicy.anyKey(), 10, Duration.ofMinutes(1)));
        DekPendingException pending = pendingOf(() -> throwing.decrypt(envelope, orders, aad));
        assertThatThrownBy(() -> WhenReady.await(pending)).isSameAs(bug);
        assertThatThrownBy(() -> throwing.decrypt(envelope, orders, aad)).isSameAs(bug);
    }

    @Test
    void aDekThatArrivesAfterAPurgeIsWipedAndNotCached() {
        kek.hold();
        DekPendingException pending = pendingOf(() -> dec.decrypt(envelope, orders, aad));
        cache.purge(); // the cluster locked while the KMS was answering
        kek.release();
        kek.awaitAnswered();

        DataKey late = kek.lastHandedOut();
        assertThat(late.isDestroyed()).isTrue();
        assertThat(cache.size()).isZero();
        assertThat(pending.ready().toCompletableFuture()).isCompleted().isNotCompletedExceptionally();
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).isEqualTo(secret);
        assertThat(kek.unwrapped).as("the retry asked the KMS again").hasValue(2);
        assertThat(kek.lastHandedOut().isDestroyed()).isFalse();
    }

    @Test
    void aRefusalUnderAnotherContextDoesNotAnswerForTheEdeksOwnContext() {
        // A record copied into the payments topic is read there first, with a cold cache: the KMS refuses it.
        assertThatThrownBy(() -> retry(() -> dec.decrypt(envelope, payments, aad))).isInstanceOf(TestKek.Failure.class);
        // The records of the orders topic, under the same DEK, still open.
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).isEqualTo(secret);
        assertThat(kek.unwrapped).hasValue(2);
        // and the copy stays refused (now from the cache), without another KMS call
        assertThatThrownBy(() -> dec.decrypt(envelope, payments, aad)).isInstanceOf(CryptoException.class);
        assertThat(kek.unwrapped).hasValue(2);
    }

    @Test
    void anUnwrapUnderAnotherContextDoesNotDecideForAConcurrentMissUnderTheEdeksOwn() {
        kek.hold();
        DekPendingException copied = pendingOf(() -> dec.decrypt(envelope, payments, aad));
        DekPendingException own = pendingOf(() -> dec.decrypt(envelope, orders, aad));
        kek.release();
        assertThatThrownBy(() -> WhenReady.await(copied)).isInstanceOf(TestKek.Failure.class);
        assertThat(retry(() -> {
            WhenReady.await(own);
            return dec.decrypt(envelope, orders, aad);
        })).isEqualTo(secret);
    }

    /**
     * Caffeine reads the ticker while the cache stores an unwrap's outcome; this ticker lets another
     * thread miss at exactly that moment. The miss must join the unwrap that is delivering, not start
     * another one (for a damaged EDEK: one KMS call, not two).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aMissWhileAnUnwrapsOutcomeIsStoredJoinsThatUnwrap(boolean refused) throws Exception {
        AtomicReference<EnvelopeDecryptor> decRef = new AtomicReference<>();
        AtomicBoolean armed = new AtomicBoolean(false);
        CompletableFuture<Object> otherThread = new CompletableFuture<>();
        Ticker ticker = () -> {
            if (Thread.currentThread().getName().equals(TestKek.THREAD_NAME) && armed.getAndSet(false)) {
                Thread t = new Thread(() -> {
                    try {
                        otherThread.complete(decRef.get().decrypt(envelope, orders, aad));
                    } catch (RuntimeException e) {
                        otherThread.complete(e);
                    }
                });
                t.start();
                try {
                    t.join(2_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ticks.get();
        };
        decRef.set(new EnvelopeDecryptor(new DecryptionDekCache(kek, KekPolicy.onlyKey("test", "k"), 100, Duration.ofMinutes(5), ticker)));
        if (refused) {
            kek.failWith(() -> new TestKek.Failure("damaged EDEK", false));
        }
        kek.hold(); // so that the outcome arrives on the KMS's thread, after the miss registered for it
        armed.set(true);
        DekPendingException pending = pendingOf(() -> decRef.get().decrypt(envelope, orders, aad));
        kek.release();
        kek.awaitAnswered();

        Object other = otherThread.get(5, TimeUnit.SECONDS);
        assertThat(other).isInstanceOf(DekPendingException.class);
        assertThat(((DekPendingException) other).ready()).as("the unwrap under way").isSameAs(pending.ready());
        assertThat(kek.unwrapped).as("one EDEK, one KMS call").hasValue(1);
    }

    @Test
    void purgeForgetsRememberedFailures() {
        kek.failWith(() -> new TestKek.Failure("key k is disabled", false));
        assertThatThrownBy(() -> retry(() -> dec.decrypt(envelope, orders, aad))).isInstanceOf(TestKek.Failure.class);
        kek.failWith(null);
        cache.purge(); // e.g. the cluster was locked, and is being unlocked with a key the customer restored
        assertThat(retry(() -> dec.decrypt(envelope, orders, aad))).isEqualTo(secret);
        assertThat(kek.unwrapped).hasValue(2);
    }
}
