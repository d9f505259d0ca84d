package io.keyhold.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A KEK for tests, independent of the code under test: it wraps DEKs with raw JCA AES-GCM bound to
 * the KEK id and the encryption context (so, like a real KMS, an EDEK unwraps only with its own
 * context), counts its calls (to prove caching), and remembers every DEK it handed out (to prove
 * wiping).
 *
 * <p>Asynchronous like the KMS SPI: calls return at once and are answered on a thread of its own
 * ({@value #THREAD_NAME}). {@link #hold()} makes it hang (answers wait until {@link #release()}),
 * {@link #failWith} makes it fail. Calls are counted when they are made, on the caller's thread.
 */
final class TestKek implements DekSource, DekUnwrapper {
    static final String THREAD_NAME = "test-kek";
    private static final ExecutorService ANSWERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, THREAD_NAME);
        t.setDaemon(true);
        return t;
    });

    /**
     * A KMS failure that says whether it is worth retrying, as the KMS SPI's typed errors do; a
     * {@link CryptoException}, since for the envelope tests a damaged EDEK is a damaged ciphertext.
     */
    static final class Failure extends CryptoException implements Retriable {
        private static final long serialVersionUID = 1L;
        private final boolean retriable;

        Failure(String message, boolean retriable) {
            super(message);
            this.retriable = retriable;
        }

        @Override
        public boolean isRetriable() {
            return retriable;
        }
    }

    private final byte[] kek = new byte[32];
    final AtomicInteger generated = new AtomicInteger();
    final AtomicInteger unwrapped = new AtomicInteger();
    final List<DataKey> handedOut = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();
    /** Calls made and not answered yet. */
    private final AtomicInteger unanswered = new AtomicInteger();
    private final List<Runnable> heldAnswers = new ArrayList<>();
    private boolean holding;
    private volatile Supplier<? extends RuntimeException> failure;

    TestKek() {
        random.nextBytes(kek);
    }

    /** From now on, calls get no answer until {@link #release()}: a KMS that hangs. */
    synchronized void hold() {
        holding = true;
    }

    /** Answers every held call (on the answer thread) and stops holding. */
    void release() {
        List<Runnable> answers;
        synchronized (this) {
            holding = false;
            answers = new ArrayList<>(heldAnswers);
            heldAnswers.clear();
        }
        answers.forEach(ANSWERS::execute);
    }

    /** From now on, answers fail with what {@code failure} supplies; {@code null} answers normally again. */
    void failWith(Supplier<? extends RuntimeException> failure) {
        this.failure = failure;
    }

    /** Waits until every call made so far has been answered and its callbacks have run. */
    void awaitAnswered() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (unanswered.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(unanswered.get() + " test KEK calls still unanswered");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Override
    public CompletionStage<GeneratedDek> generate(String kekId, EncryptionContext context) {
        generated.incrementAndGet();
        return answer(() -> {
            DataKey dek = DataKey.generate();
            synchronized (this) {
                handedOut.add(dek);
            }
            byte[] edek = dek.withKeyBytes(b -> wrap(b, kekId, context));
            return new GeneratedDek(dek, new KekRef("test", kekId, "1"), edek);
        });
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef ref, byte[] edek, EncryptionContext context) {
        unwrapped.incrementAndGet();
        byte[] copy = edek.clone();
        return answer(() -> {
            DataKey dek = unwrapNow(ref, copy, context);
            synchronized (this) {
                handedOut.add(dek);
            }
            return dek;
        });
    }

    /** Unwraps on the caller's thread, without counting: for tests that check the format by hand. */
    DataKey unwrapNow(KekRef ref, byte[] edek, EncryptionContext context) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, edek, 0, 12));
            c.updateAAD(ref.keyId().getBytes());
            c.updateAAD(context.canonicalBytes());
            return DataKey.fromBytesWipingSource(c.doFinal(edek, 12, edek.length - 12));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new Failure("test KEK cannot unwrap this EDEK", false);
        }
    }

    /** A DEK and its EDEK on the caller's thread, without counting: for streams, which take a generated DEK. */
    GeneratedDek generateNow(String kekId, EncryptionContext context) {
        DataKey dek = DataKey.generate();
        synchronized (this) {
            handedOut.add(dek);
        }
        return new GeneratedDek(dek, new KekRef("test", kekId, "1"), dek.withKeyBytes(b -> wrap(b, kekId, context)));
    }

    private <T> CompletionStage<T> answer(Supplier<T> work) {
        CompletableFuture<T> stage = new CompletableFuture<>();
        unanswered.incrementAndGet();
        Runnable answer = () -> {
            try {
                Supplier<? extends RuntimeException> f = failure;
                if (f != null) {
                    stage.completeExceptionally(f.get());
                } else {
                    stage.complete(work.get());
                }
            } catch (RuntimeException e) {
                stage.completeExceptionally(e);
            } finally {
                unanswered.decrementAndGet(); // after complete(): the callers' callbacks have run
            }
        };
        synchronized (this) {
            if (holding) {
                heldAnswers.add(answer);
                return stage;
            }
        }
        ANSWERS.execute(answer);
        return stage;
    }

    private byte[] wrap(byte[] dekBytes, String kekId, EncryptionContext context) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(kekId.getBytes());
            c.updateAAD(context.canonicalBytes());
            byte[] ct = c.doFinal(dekBytes);
            byte[] out = Arrays.copyOf(iv, 12 + ct.length);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    synchronized DataKey lastHandedOut() {
        return handedOut.get(handedOut.size() - 1);
    }

    synchronized boolean allHandedOutDestroyed() {
        return handedOut.stream().allMatch(DataKey::isDestroyed);
    }
}
