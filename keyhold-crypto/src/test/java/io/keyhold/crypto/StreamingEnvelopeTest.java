package io.keyhold.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamingEnvelopeTest {
    private static final int SEG = 64;
    private final TestKek kek = new TestKek();
    private final Aad aad = Aad.of("snapshot:cluster-1");
    private final EncryptionContext snapshots = EncryptionContext.forPurpose("snapshot");

    private byte[] encrypt(byte[] plaintext) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream out = StreamingEnvelope.encrypting(sink, kek.generateNow("k", snapshots), aad, SEG)) {
            // write in uneven pieces to exercise buffering
            int pos = 0;
            int step = 1;
            while (pos < plaintext.length) {
                int n = Math.min(step, plaintext.length - pos);
                out.write(plaintext, pos, n);
                pos += n;
                step = step * 3 % 97 + 1;
            }
        }
        return sink.toByteArray();
    }

    private byte[] decrypt(byte[] stream, Aad withAad) throws IOException {
        try (InputStream in = StreamingEnvelope.decrypting(new ByteArrayInputStream(stream), kek, KekPolicy.onlyKey("test", "k"), snapshots, withAad)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 5, 10_000})
    void roundTrips(int size) throws IOException {
        byte[] plaintext = new byte[size];
        new Random(size).nextBytes(plaintext);
        assertThat(decrypt(encrypt(plaintext), aad)).isEqualTo(plaintext);
    }

    @Test
    void everyTruncationIsDetected() throws IOException {
        byte[] stream = encrypt(new byte[3 * SEG + 10]);
        for (int len = 0; len < stream.length; len++) {
            byte[] cut = Arrays.copyOf(stream, len);
            assertThatThrownBy(() -> decrypt(cut, aad)).as("cut at %d", len).isInstanceOf(CryptoException.class);
        }
    }

    @Test
    void truncationExactlyAtASegmentBoundaryIsDetected() throws IOException {
        byte[] stream = encrypt(new byte[4 * SEG]); // 4 full segments + an empty last one
        int segmentsStart = stream.length - 4 * (SEG + 16) - 16;
        for (int keep = 1; keep <= 4; keep++) {
            byte[] cut = Arrays.copyOf(stream, segmentsStart + keep * (SEG + 16));
            assertThatThrownBy(() -> decrypt(cut, aad)).isInstanceOf(CryptoException.class);
        }
    }

    @Test
    void tamperingAnywhereIsDetected() throws IOException {
        byte[] stream = encrypt(new byte[2 * SEG + 3]);
        for (int i = 0; i < stream.length; i++) {
            byte[] t = stream.clone();
            t[i] ^= 0x20;
            assertThatThrownBy(() -> decrypt(t, aad)).isInstanceOf(CryptoException.class);
        }
    }

    @Test
    void swappedSegmentsAreDetected() throws IOException {
        byte[] stream = encrypt(new byte[3 * SEG + 1]);
        int start = stream.length - 3 * (SEG + 16) - (1 + 16);
        byte[] swapped = stream.clone();
        System.arraycopy(stream, start, swapped, start + SEG + 16, SEG + 16);
        System.arraycopy(stream, start + SEG + 16, swapped, start, SEG + 16);
        assertThatThrownBy(() -> decrypt(swapped, aad)).isInstanceOf(CryptoException.class);
    }

    @Test
    void wrongAadIsDetected() throws IOException {
        byte[] stream = encrypt(new byte[10]);
        assertThatThrownBy(() -> decrypt(stream, Aad.of("snapshot:cluster-2"))).isInstanceOf(CryptoException.class);
    }

    @Test
    void aStreamOpensOnlyWithTheContextItsDekWasWrappedFor() throws IOException {
        byte[] stream = encrypt(new byte[10]);
        assertThatThrownBy(() -> StreamingEnvelope.decrypting(new ByteArrayInputStream(stream), kek, KekPolicy.onlyKey("test", "k"),
                EncryptionContext.forPurpose("export"), aad))
                .isInstanceOf(TestKek.Failure.class); // the KMS's own error, not wrapped
    }

    @Test
    void aWaitForTheKmsCanBeInterrupted() throws Exception {
        byte[] stream = encrypt(new byte[10]);
        kek.hold();
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                StreamingEnvelope.decrypting(new ByteArrayInputStream(stream), kek, KekPolicy.onlyKey("test", "k"), snapshots, aad);
                outcome.complete("opened");
            } catch (Throwable t) {
                outcome.complete(List.of(t, Thread.currentThread().isInterrupted()));
            }
        });
        reader.start();
        while (kek.unwrapped.get() == 0) {
            Thread.onSpinWait();
        }
        reader.interrupt();
        assertThat(outcome.get(10, TimeUnit.SECONDS)).asList()
                .satisfies(l -> assertThat(l.get(0)).isInstanceOf(InterruptedIOException.class))
                .satisfies(l -> assertThat(l.get(1)).as("interrupt flag kept").isEqualTo(true));
        kek.release();
    }

    @Test
    void closingWipesTheKeys() throws IOException {
        encrypt(new byte[100]);
        decrypt(encrypt(new byte[100]), aad);
        assertThat(kek.allHandedOutDestroyed()).isTrue();
    }
}
