package io.keyhold.embedded;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekPendingException;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;

/**
 * The envelopes a broker stores, read from its raw segment files, and what a key of a local KMS can
 * open of them: how the crypto-shredding test shows that no key left opens anything.
 */
final class StoredEnvelopes {
    private StoredEnvelopes() {
    }

    /** The values of every record in the topic partitions' segment files, read straight from disk. */
    static List<byte[]> read(Path logDir) throws Exception {
        List<byte[]> out = new ArrayList<>();
        List<Path> segments;
        try (Stream<Path> files = Files.walk(logDir)) {
            segments = files.filter(f -> f.toString().endsWith(".log"))
                    .filter(f -> !f.getParent().getFileName().toString().startsWith("__")).sorted().toList();
        }
        for (Path segment : segments) {
            try (FileRecords records = FileRecords.open(new File(segment.toString()), false)) {
                for (RecordBatch batch : records.batches()) {
                    if (batch.isControlBatch()) {
                        continue;
                    }
                    for (Record r : batch) {
                        if (r.hasValue()) {
                            ByteBuffer v = r.value();
                            byte[] bytes = new byte[v.remaining()];
                            v.get(bytes);
                            out.add(bytes);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Opens every envelope of {@code topic} it can with key {@code kek} of the local KMS {@code store},
     * whatever key the envelope names, bound as the proxy binds records (cluster and topic); returns
     * the plaintexts.
     */
    static List<byte[]> openWith(List<byte[]> stored, LocalKmsOptions store, String cluster, String topic, KekRef kek)
            throws Exception {
        List<byte[]> opened = new ArrayList<>();
        try (LocalKms kms = LocalKms.open(store)) {
            DecryptionDekCache deks = new DecryptionDekCache((named, edek, context) -> kms.unwrap(kek, edek, context),
                    KekPolicy.anyKey(), 100, Duration.ofMinutes(1));
            EnvelopeDecryptor decryptor = new EnvelopeDecryptor(deks);
            EncryptionContext context = EncryptionContext.forTopic(cluster, topic);
            Aad aad = Aad.ofParts("keyhold.record.v1", topic);
            for (byte[] envelope : stored) {
                for (int attempt = 0; attempt < 3; attempt++) {
                    try {
                        opened.add(decryptor.decrypt(Arrays.copyOf(envelope, envelope.length), context, aad));
                        break;
                    } catch (DekPendingException pending) {
                        try {
                            pending.ready().toCompletableFuture().get(30, TimeUnit.SECONDS);
                        } catch (ExecutionException e) {
                            break; // the KMS refused: not opened
                        }
                    } catch (RuntimeException e) {
                        break; // refused or failed authentication: not opened
                    }
                }
            }
        }
        return opened;
    }
}
