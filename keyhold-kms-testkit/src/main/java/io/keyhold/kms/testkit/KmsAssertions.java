package io.keyhold.kms.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsUnavailableException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for {@link io.keyhold.kms.Kms} stages and checking how they failed; for the suite and provider tests. */
public final class KmsAssertions {
    /** Longer than any call of the suite's policies takes, short enough to fail a stuck test. */
    public static final Duration WAIT = Duration.ofSeconds(30);

    private KmsAssertions() {
    }

    /** The stage's value; a failure is rethrown as it is. */
    public static <T> T await(CompletionStage<T> stage) {
        return KmsCalls.await(stage, WAIT);
    }

    /** How the stage failed (the cause, unwrapped); fails the test if it succeeded or took longer than {@code within}. */
    public static Throwable failure(CompletionStage<?> stage, Duration within) {
        Object value;
        try {
            value = stage.toCompletableFuture().get(within.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            return KmsCalls.cause(e);
        } catch (TimeoutException e) {
            throw new AssertionError("the stage did not complete within " + within.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        discard(value);
        return fail("expected the call to fail, but it returned " + value);
    }

    public static Throwable failure(CompletionStage<?> stage) {
        return failure(stage, WAIT);
    }

    /** Asserts the stage failed with {@link KmsDeniedException} for one of {@code reasons}. */
    public static KmsDeniedException assertDenied(CompletionStage<?> stage, KmsDeniedException.Reason... reasons) {
        Throwable t = failure(stage);
        assertThat(t).as("failure").isInstanceOf(KmsDeniedException.class);
        KmsDeniedException denied = (KmsDeniedException) t;
        assertThat(denied.reason()).as("reason of: " + denied.getMessage()).isIn((Object[]) reasons);
        return denied;
    }

    /** Asserts the stage failed with {@link KmsUnavailableException} (any reason) within {@code within}. */
    public static KmsUnavailableException assertUnavailable(CompletionStage<?> stage, Duration within) {
        Throwable t = failure(stage, within);
        assertThat(t).as("failure").isInstanceOf(KmsUnavailableException.class);
        return (KmsUnavailableException) t;
    }

    /** Asserts that {@code g} unwraps through {@code kms} with {@code context} to the DEK it carries. */
    public static void assertUnwraps(Kms kms, GeneratedDek g, EncryptionContext context) {
        try (DataKey back = await(kms.unwrap(g.kek(), g.edek(), context))) {
            assertThat(keyBytes(back)).as("unwrapped DEK").isEqualTo(keyBytes(g.dek()));
        }
    }

    /** A copy of the key's bytes, for comparing DEKs in tests only. */
    public static byte[] keyBytes(DataKey key) {
        return key.withKeyBytes(b -> Arrays.copyOf(b, b.length));
    }

    private static void discard(Object value) {
        if (value instanceof DataKey) {
            ((DataKey) value).destroy();
        } else if (value instanceof GeneratedDek) {
            ((GeneratedDek) value).dek().destroy();
        }
    }
}
