package io.keyhold.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekPendingException;
import io.keyhold.crypto.DekRotationPolicy;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.proxy.TestKms;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/**
 * The record path without a network: the byte-level fast path (uncompressed batches) and Kafka's
 * record classes (compressed batches) must agree with each other and give back exactly what the
 * producer sent.
 */
class RecordEncryptionTest {
    private final TestKms kms = new TestKms();
    private final ProxyCounters counters = new ProxyCounters();
    private final RecordEncryption encryption = new RecordEncryption(
            new EnvelopeEncryptor(new EncryptionDekCache(kms, DekRotationPolicy.DEFAULT)),
            new EnvelopeDecryptor(new DecryptionDekCache(kms, KekPolicy.onlyKey(TestKms.KIND, "kek"), 100, Duration.ofMinutes(5))),
            "kek", "lkc-test", UnencryptedRecordPolicy.REJECT, counters);

    /** {@code RecordEncryption.encrypt}, redone once the KMS has supplied a missing DEK, as the proxy does. */
    static RebuiltRecords encrypt(RecordEncryption e, String topic, MemoryRecords in) {
        return untilReady(() -> e.encrypt(topic, in));
    }

    /** {@code RecordEncryption.decrypt}, redone once the KMS has unwrapped a missing DEK, as the proxy does. */
    static RebuiltRecords decrypt(RecordEncryption e, String topic, MemoryRecords in) {
        return untilReady(() -> e.decrypt(topic, in));
    }

    private static <T> T untilReady(java.util.function.Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (DekPendingException pending) {
                if (attempt == KmsWaits.MAX_ATTEMPTS) {
                    throw pending;
                }
                try {
                    pending.ready().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException failed) {
                    // the cache remembers the failure: the retry meets it where the record path can name the record
                } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("the test KMS did not answer", e);
                }
            }
        }
    }

    /** One record as a producer sends it. */
    record Rec(byte[] key, byte[] value, Header[] headers) {
    }

    @Provide
    Arbitrary<List<Rec>> batches() {
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> maybe = Arbitraries.oneOf(bytes, Arbitraries.just(null));
        Arbitrary<Header> header = Combinators.combine(Arbitraries.strings().ofMaxLength(12), maybe)
                .as((k, v) -> (Header) new RecordHeader(k, v));
        Arbitrary<Header[]> headers = header.array(Header[].class).ofMaxSize(3);
        return Combinators.combine(maybe, maybe, headers).as(Rec::new).list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 150)
    void anyUncompressedBatchComesBackByteForByte(@ForAll("batches") List<Rec> recs) {
        MemoryRecords original = build(recs, CompressionType.NONE, 1000L);
        MemoryRecords encrypted = take(encrypt(encryption, "orders", original));
        assertThat(encrypted.sizeInBytes()).isGreaterThan(0);
        for (Record r : encrypted.records()) {
            // Every record carries the marker, bare tombstones too: one without it was written around the proxy.
            assertThat(r.headers()).extracting(Header::key).containsExactly(RecordEncryption.MARKER);
        }
        MemoryRecords decrypted = take(decrypt(encryption, "orders", encrypted));
        assertThat(bytes(decrypted)).isEqualTo(bytes(original));
    }

    @Property(tries = 60)
    void bothPathsReadWhatTheOtherWrote(@ForAll("batches") List<Rec> recs) {
        // Fast path encrypts; the encrypted records, re-batched with gzip, go through the general path.
        MemoryRecords fastSealed = take(encrypt(encryption, "orders", build(recs, CompressionType.NONE, 0L)));
        MemoryRecords regzipped = rebatch(fastSealed, CompressionType.GZIP);
        assertThat(records(take(decrypt(encryption, "orders", regzipped)))).isEqualTo(describe(recs));
        // The general path encrypts a gzip batch; its records, re-batched uncompressed, go through the fast path.
        MemoryRecords generalSealed = take(encrypt(encryption, "orders", build(recs, CompressionType.GZIP, 0L)));
        MemoryRecords plain = rebatch(generalSealed, CompressionType.NONE);
        assertThat(records(take(decrypt(encryption, "orders", plain)))).isEqualTo(describe(recs));
    }

    @Test
    void aLargeFetchOfManyBatchesComesBackWholeAndInOrder() {
        ByteBuffer all = ByteBuffer.allocate(4 * 1024 * 1024);
        List<String> expected = new ArrayList<>();
        long offset = 0;
        for (int b = 0; b < 12; b++) {
            List<Rec> recs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                byte[] v = new byte[1000];
                Arrays.fill(v, (byte) ('a' + b));
                recs.add(new Rec(("k" + offset).getBytes(StandardCharsets.UTF_8), v, new Header[0]));
                offset++;
            }
            expected.addAll(describe(recs));
            all.put(take(encrypt(encryption, "orders", build(recs, CompressionType.NONE, offset - 40))).buffer());
        }
        all.flip();
        MemoryRecords fetched = MemoryRecords.readableRecords(all);
        assertThat(records(take(decrypt(encryption, "orders", fetched)))).isEqualTo(expected);
    }

    @Test
    void aBatchDamagedOnTheWayInIsRefusedNotGivenAFreshCrc() {
        MemoryRecords original = build(List.of(new Rec(null, "v".getBytes(StandardCharsets.UTF_8), new Header[0])),
                CompressionType.NONE, 0L);
        ByteBuffer damaged = original.buffer().duplicate();
        damaged.put(damaged.limit() - 1, (byte) (damaged.get(damaged.limit() - 1) ^ 1));
        assertThatThrownBy(() -> encrypt(encryption, "orders", MemoryRecords.readableRecords(damaged)))
                .isInstanceOf(CorruptRecordException.class).hasMessageContaining("CRC");
    }

    @Test
    void aCiphertextMovedToAnotherTopicDoesNotDecrypt() {
        MemoryRecords sealed = take(encrypt(encryption, "orders",
                build(List.of(new Rec(null, "secret".getBytes(StandardCharsets.UTF_8), new Header[0])), CompressionType.NONE, 7L)));
        assertThatThrownBy(() -> decrypt(encryption, "payments", sealed))
                .isInstanceOf(CryptoException.class).hasMessageContaining("offset 7").hasMessageContaining("payments");
        assertThat(counters.decryptionFailures.sum()).isEqualTo(1);
    }

    @Test
    void anUnencryptedRecordFailsTheFetchUnderRejectAndPassesUnderPassThrough() {
        MemoryRecords plain = build(List.of(new Rec(null, "written around the proxy".getBytes(StandardCharsets.UTF_8),
                new Header[0])), CompressionType.NONE, 3L);
        assertThatThrownBy(() -> decrypt(encryption, "orders", plain))
                .isInstanceOf(RecordEncryption.UnencryptedRecordException.class).hasMessageContaining("offset 3");
        RecordEncryption lenient = new RecordEncryption(
                new EnvelopeEncryptor(new EncryptionDekCache(kms, DekRotationPolicy.DEFAULT)),
                new EnvelopeDecryptor(new DecryptionDekCache(kms, KekPolicy.onlyKey(TestKms.KIND, "kek"), 100, Duration.ofMinutes(5))),
                "kek", "lkc-test", UnencryptedRecordPolicy.PASS_THROUGH, counters);
        assertThat(bytes(take(decrypt(lenient, "orders", plain)))).isEqualTo(bytes(plain));
        assertThat(counters.unencryptedRecordsPassed.sum()).isEqualTo(1);
    }

    /** Sealed records as a direct producer could rewrite them: same bytes, rearranged. */
    private static List<Rec> stored(MemoryRecords sealed) {
        List<Rec> out = new ArrayList<>();
        for (Record r : sealed.records()) {
            out.add(new Rec(bytesOf(r.key()), bytesOf(r.value()), r.headers()));
        }
        return out;
    }

    /** Asserts both paths refuse {@code recs} as tampered, and counts it. */
    private void refusedAsTampered(List<Rec> recs) {
        long before = counters.decryptionFailures.sum();
        MemoryRecords plain = build(recs, CompressionType.NONE, 0L);
        assertThatThrownBy(() -> decrypt(encryption, "orders", plain)).isInstanceOf(CryptoException.class);
        assertThatThrownBy(() -> decrypt(encryption, "orders", rebatch(plain, CompressionType.GZIP))).isInstanceOf(CryptoException.class);
        assertThat(counters.decryptionFailures.sum()).isEqualTo(before + 2);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aValueMovedUnderAnotherKeyDoesNotDecrypt() {
        List<Rec> sealed = stored(take(encrypt(encryption, "orders", build(List.of(
                new Rec(utf8("alice"), utf8("balance 10"), new Header[0]),
                new Rec(utf8("bob"), utf8("balance 99999"), new Header[0]),
                new Rec(new byte[0], utf8("empty key"), new Header[0])), CompressionType.NONE, 0L))));
        // Swapped between two keys, as in a compacted topic where each key is an account.
        refusedAsTampered(List.of(new Rec(sealed.get(0).key(), sealed.get(1).value(), sealed.get(1).headers())));
        // Duplicated under another key.
        refusedAsTampered(List.of(new Rec(utf8("mallory"), sealed.get(1).value(), sealed.get(1).headers())));
        // An empty key is not a null key.
        refusedAsTampered(List.of(new Rec(null, sealed.get(2).value(), sealed.get(2).headers())));
        // Unchanged, they read.
        assertThat(records(take(decrypt(encryption, "orders", build(sealed, CompressionType.NONE, 0L))))).hasSize(3);
    }

    @Test
    void anEmptyValueAndATombstonesHeadersCannotBeRetyped() {
        List<Rec> sealed = stored(take(encrypt(encryption, "orders", build(List.of(
                new Rec(utf8("k"), new byte[0], new Header[0]),
                new Rec(utf8("k"), null, new Header[0])), CompressionType.NONE, 0L))));
        Rec emptyValue = sealed.get(0);
        Rec tombstone = sealed.get(1);
        assertThat(tombstone.headers()).extracting(Header::key).containsExactly(RecordEncryption.MARKER);
        byte[] sealedHeaders = Arrays.copyOfRange(tombstone.headers()[0].value(), 1, tombstone.headers()[0].value().length);
        // The empty value's envelope as a tombstone's sealed headers, and the tombstone's as a value:
        // the plaintexts are the same bytes (no headers), only what they are differs.
        byte[] asTombstone = new byte[1 + emptyValue.value().length];
        asTombstone[0] = RecordBinding.FORMAT_V2;
        System.arraycopy(emptyValue.value(), 0, asTombstone, 1, emptyValue.value().length);
        refusedAsTampered(List.of(new Rec(utf8("k"), null, new Header[] {new RecordHeader(RecordEncryption.MARKER, asTombstone)})));
        refusedAsTampered(List.of(new Rec(utf8("k"), sealedHeaders, emptyValue.headers())));
        // A format 2 tombstone stripped of its sealed headers, as format 1 wrote a bare one, is no tombstone of ours.
        refusedAsTampered(List.of(new Rec(utf8("k"), null, emptyValue.headers())));
    }

    @Test
    void aBareTombstoneIsRefusedUnderRejectAndCounted() {
        MemoryRecords bare = build(List.of(new Rec(utf8("any-key"), null, new Header[0])), CompressionType.NONE, 9L);
        assertThatThrownBy(() -> decrypt(encryption, "orders", bare))
                .isInstanceOf(RecordEncryption.UnencryptedRecordException.class).hasMessageContaining("offset 9");
        assertThatThrownBy(() -> decrypt(encryption, "orders", rebatch(bare, CompressionType.GZIP)))
                .isInstanceOf(RecordEncryption.UnencryptedRecordException.class);
        assertThat(counters.unencryptedRecordsRejected.sum()).isEqualTo(2);
        RecordEncryption transition = new RecordEncryption(
                new EnvelopeEncryptor(new EncryptionDekCache(kms, DekRotationPolicy.DEFAULT)),
                new EnvelopeDecryptor(new DecryptionDekCache(kms, KekPolicy.onlyKey(TestKms.KIND, "kek"), 100, Duration.ofMinutes(5))),
                "kek", "lkc-test", UnencryptedRecordPolicy.REJECT_EXCEPT_BARE_TOMBSTONES, counters);
        assertThat(bytes(take(decrypt(transition, "orders", bare)))).isEqualTo(bytes(bare));
        assertThat(counters.unencryptedRecordsPassed.sum()).isEqualTo(1);
        MemoryRecords plainValue = build(List.of(new Rec(utf8("k"), utf8("v"), new Header[0])), CompressionType.NONE, 0L);
        assertThatThrownBy(() -> decrypt(transition, "orders", plainValue)).isInstanceOf(RecordEncryption.UnencryptedRecordException.class);
    }

    @Test
    void aRecordSealedForAnotherClusterDoesNotDecryptEvenWithTheSameDek() {
        // The cluster is in the record's AAD as well as in its DEK's KMS context.
        RecordEncryption other = new RecordEncryption(
                new EnvelopeEncryptor(new EncryptionDekCache(kms, DekRotationPolicy.DEFAULT)),
                new EnvelopeDecryptor(new DecryptionDekCache(kms, KekPolicy.onlyKey(TestKms.KIND, "kek"), 100, Duration.ofMinutes(5))),
                "kek", "lkc-other", UnencryptedRecordPolicy.REJECT, counters);
        MemoryRecords sealed = take(encrypt(other, "orders", build(List.of(new Rec(utf8("k"), utf8("v"), new Header[0])),
                CompressionType.NONE, 0L)));
        assertThatThrownBy(() -> decrypt(encryption, "orders", sealed)).isInstanceOf(RuntimeException.class);
    }

    /**
     * One byte of an encrypted batch changed, the CRC made valid again (so the record parser and the
     * envelopes are what must hold): a change inside what the proxy sealed (a record's envelope, or
     * the marker header's value) is always refused with a typed error; any other change either is
     * refused or decrypts to exactly the values and headers the producer sent. Never altered
     * plaintext, never an untyped exception.
     */
    @Property(tries = 300)
    void garbledRecordsAreRefusedOrDecryptToWhatWasSent(@ForAll("batches") List<Rec> recs, @ForAll int seed) {
        MemoryRecords sealed = take(encrypt(encryption, "orders", build(recs, CompressionType.NONE, 0L)));
        List<int[]> protectedRanges = sealedRanges(sealed);
        ByteBuffer b = sealed.buffer().duplicate();
        java.util.Random random = new java.util.Random(seed);
        int at = UncompressedBatches.HEADER_SIZE + random.nextInt(b.limit() - UncompressedBatches.HEADER_SIZE);
        b.put(at, (byte) (b.get(at) ^ (1 + random.nextInt(255)))); // always a change
        long crc = org.apache.kafka.common.utils.Crc32C.compute(b.array(), b.arrayOffset() + UncompressedBatches.ATTRIBUTES_AT,
                b.limit() - UncompressedBatches.ATTRIBUTES_AT);
        b.putInt(UncompressedBatches.CRC_AT, (int) crc);
        boolean inSealed = protectedRanges.stream().anyMatch(r -> at >= r[0] && at < r[1]);
        MemoryRecords decrypted;
        try {
            decrypted = take(decrypt(encryption, "orders", MemoryRecords.readableRecords(b)));
        } catch (CorruptRecordException | CryptoException | RecordEncryption.UnencryptedRecordException refused) {
            return; // refused with a clear, typed error
        }
        assertThat(inSealed).as("a change at byte %d, inside what the proxy sealed, was accepted", at).isFalse();
        assertThat(withoutKeys(records(decrypted))).as("a change at byte %d (outside the envelopes) decrypted", at)
                .isEqualTo(withoutKeys(describe(recs)));
    }

    /** Where in {@code sealed}'s buffer the proxy's sealed bytes lie: each record's value and marker header value, as [from, to). */
    private static List<int[]> sealedRanges(MemoryRecords sealed) {
        ByteBuffer whole = sealed.buffer();
        List<int[]> ranges = new ArrayList<>();
        for (Record r : sealed.records()) {
            if (r.hasValue() && r.valueSize() > 0) {
                ranges.add(rangeOf(whole, r.value()));
            }
            for (Header h : r.headers()) {
                if (h.key().equals(RecordEncryption.MARKER) && h.value() != null) {
                    int[] range = rangeOf(whole, ByteBuffer.wrap(h.value()));
                    ranges.add(range);
                }
            }
        }
        return ranges;
    }

    /** The position of {@code part} (a view into {@code whole}'s array) in {@code whole}. */
    private static int[] rangeOf(ByteBuffer whole, ByteBuffer part) {
        if (part.hasArray() && part.array() == whole.array()) {
            int from = part.arrayOffset() + part.position() - whole.arrayOffset();
            return new int[] {from, from + part.remaining()};
        }
        // A copy (Kafka copies header values): find it in the batch by content, searching from the end of the records.
        byte[] needle = new byte[part.remaining()];
        part.duplicate().get(needle);
        byte[] hay = new byte[whole.remaining()];
        whole.duplicate().get(hay);
        for (int from = hay.length - needle.length; from >= 0; from--) {
            if (Arrays.equals(hay, from, from + needle.length, needle, 0, needle.length)) {
                return new int[] {from, from + needle.length};
            }
        }
        throw new AssertionError("sealed bytes not found in their batch");
    }

    private static List<String> withoutKeys(List<String> described) {
        return described.stream().map(d -> d.substring(d.indexOf('|'))).toList();
    }

    /** After a batch, this thread's per-record scratch array holds none of the batch's plaintext. */
    @Test
    void theScratchArrayHoldsNoPlaintextOnceABatchIsDone() {
        byte[] secret = new byte[3000];
        Arrays.fill(secret, (byte) 0x5a);
        List<Rec> recs = List.of(new Rec(null, secret, new Header[] {new RecordHeader("h", secret)}),
                new Rec(null, Arrays.copyOf(secret, 100), new Header[0]));
        MemoryRecords sealed = take(encrypt(encryption, "orders", build(recs, CompressionType.NONE, 0L)));
        assertThat(allZero(UncompressedBatches.threadScratch().bytes)).as("after encrypting").isTrue();
        MemoryRecords opened = take(decrypt(encryption, "orders", sealed));
        assertThat(records(opened)).isEqualTo(describe(recs));
        assertThat(allZero(UncompressedBatches.threadScratch().bytes)).as("after decrypting").isTrue();
        // A batch that fails half way leaves nothing behind either.
        ByteBuffer damaged = sealed.buffer().duplicate();
        int[] secondEnvelope = sealedRanges(sealed).get(2); // value and marker of the first record come first
        int last = secondEnvelope[1] - 1; // its tag: the first record is already opened when the second fails
        damaged.put(last, (byte) (damaged.get(last) ^ 1));
        damaged.putInt(UncompressedBatches.CRC_AT, (int) org.apache.kafka.common.utils.Crc32C.compute(damaged.array(),
                damaged.arrayOffset() + UncompressedBatches.ATTRIBUTES_AT, damaged.limit() - UncompressedBatches.ATTRIBUTES_AT));
        assertThatThrownBy(() -> decrypt(encryption, "orders", MemoryRecords.readableRecords(damaged)))
                .isInstanceOf(CryptoException.class);
        assertThat(allZero(UncompressedBatches.threadScratch().bytes)).as("after a failed batch").isTrue();
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    // ---- helpers ------------------------------------------------------------------------

    static MemoryRecords build(List<Rec> recs, CompressionType type, long baseOffset) {
        ByteBuffer buf = ByteBuffer.allocate(1024 + recs.size() * 2048);
        MemoryRecordsBuilder b = new MemoryRecordsBuilder(buf, RecordBatch.MAGIC_VALUE_V2, Compression.of(type).build(),
                TimestampType.CREATE_TIME, baseOffset, RecordBatch.NO_TIMESTAMP, 42L, (short) 3, 17, false, false, 5, buf.capacity());
        long ts = 1_700_000_000_000L;
        for (Rec r : recs) {
            b.append(ts++, r.key(), r.value(), r.headers());
        }
        return b.build();
    }

    /** The same records (offsets, timestamps, everything) in one new batch of another codec. */
    static MemoryRecords rebatch(MemoryRecords in, CompressionType type) {
        MutableRecordBatch first = in.batches().iterator().next();
        ByteBuffer buf = ByteBuffer.allocate(in.sizeInBytes() * 2 + 1024);
        MemoryRecordsBuilder b = new MemoryRecordsBuilder(buf, RecordBatch.MAGIC_VALUE_V2, Compression.of(type).build(),
                TimestampType.CREATE_TIME, first.baseOffset(), RecordBatch.NO_TIMESTAMP, first.producerId(), first.producerEpoch(),
                first.baseSequence(), false, false, first.partitionLeaderEpoch(), buf.capacity());
        for (Record r : in.records()) {
            b.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
        }
        return b.build();
    }

    static MemoryRecords take(RebuiltRecords r) {
        try {
            return r.copyToMemoryRecords();
        } finally {
            r.release();
        }
    }

    static byte[] bytes(MemoryRecords r) {
        byte[] out = new byte[r.sizeInBytes()];
        r.buffer().duplicate().get(out);
        return out;
    }

    static List<String> records(MemoryRecords in) {
        List<String> out = new ArrayList<>();
        for (Record r : in.records()) {
            out.add(describe(bytesOf(r.key()), bytesOf(r.value()), r.headers()));
        }
        return out;
    }

    private static List<String> describe(List<Rec> recs) {
        List<String> out = new ArrayList<>();
        for (Rec r : recs) {
            out.add(describe(r.key(), r.value(), r.headers()));
        }
        return out;
    }

    private static String describe(byte[] key, byte[] value, Header[] headers) {
        StringBuilder sb = new StringBuilder().append(Arrays.toString(key)).append('|').append(Arrays.toString(value));
        for (Header h : headers) {
            sb.append('|').append(h.key()).append('=').append(Arrays.toString(h.value()));
        }
        return sb.toString();
    }

    private static byte[] bytesOf(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
