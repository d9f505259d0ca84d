package io.keyhold.bench;

import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.ClusterKeyDeks;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekRotationPolicy;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.crypto.KekRef;
import io.keyhold.proxy.UnencryptedRecordPolicy;
import io.keyhold.proxy.internal.ProxyCounters;
import io.keyhold.proxy.internal.RebuiltRecords;
import io.keyhold.proxy.internal.RecordEncryption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.record.MemoryRecords;

/**
 * Bytes on disk per record, exactly: what the proxy writes for a batch of records (uncompressed
 * batches are stored byte for byte as produced) against the plaintext batch, for the KEK
 * references and wrapped-DEK sizes each KMS gives. Record format v1 carries the whole envelope
 * header (KEK reference and EDEK) in every record, so the overhead follows the KMS. Run with
 * {@code bench/overhead.sh}.
 */
public final class RecordOverhead {
    private RecordOverhead() {
    }

    /** A KMS as the record format sees it: its kind, a typical key reference and version, its EDEK size. */
    private record Kek(String name, String kind, String keyRef, String version, int edekBytes) {
    }

    private static final List<Kek> KEKS = List.of(
            new Kek("local KMS", "local", "orders-key", "1", 61),
            new Kek("AWS KMS key ARN (test fake's blob)", "aws", "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    "", 176),
            new Kek("AWS KMS alias ARN (~180 B blob)", "aws", "arn:aws:kms:us-west-2:111122223333:alias/orders",
                    "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", 180),
            new Kek("Cloud KMS key (113 B ciphertext)", "gcp", "projects/acme-prod/locations/us-central1/keyRings/kafka/cryptoKeys/orders",
                    "1", 113),
            // keyhold-kms-azure: the versionless key URL, Key Vault's 32-hex-digit version, the RSA-OAEP-256 ciphertext as the EDEK
            new Kek("Azure Key Vault RSA-2048", "azure", "https://orders-vault.vault.azure.net/keys/orders", "0123456789abcdef0123456789abcdef", 256),
            new Kek("Azure Key Vault RSA-4096", "azure", "https://orders-vault.vault.azure.net/keys/orders", "0123456789abcdef0123456789abcdef", 512),
            // keyhold-kms-pkcs11: the PKCS#11 URI, the version number, IV + AES-GCM sealed DEK + tag inside the token
            new Kek("PKCS#11 HSM (AES-256-GCM in the token)", "pkcs11", "pkcs11:token=prod-hsm;object=orders-kek", "1", 60),
            // keyhold-kms-vault: <mount>/keys/<name>, Transit's key version, the ciphertext's nonce + sealed DEK + tag (no vault:vN: prefix)
            new Kek("Vault Transit aes256-gcm96", "vault", "transit/keys/orders", "1", 60),
            // keyhold-kms-kmip: <server>/name:<name>, the wrapping object's unique identifier as the version (pykmip-server
            // numbers objects; many servers use UUIDs), the 97-byte EDEK (format, CBC IV, AES-CBC of DEK || context tag)
            new Kek("KMIP name ref, numbered objects", "kmip", "hsm/name:orders", "17", 97),
            new Kek("KMIP name ref, UUID objects", "kmip", "hsm/name:orders", "6b1f0c2e-5a8d-4f3e-9c1b-2d7e8f9a0b1c", 97),
            // KMIP 1.1 mode: the key fetched with Get, the 61-byte EDEK of format 2 (format, GCM IV, sealed DEK, tag)
            new Kek("KMIP 1.1 mode, numbered objects", "kmip", "hsm/name:orders", "17", 61));

    public static void main(String[] args) {
        int records = 1000;
        System.out.printf("%-40s %8s %12s %12s %9s%n", "KEK", "record", "plain B/rec", "enc B/rec", "overhead");
        for (int size : new int[] {100, 1024}) {
            MemoryRecords plain = RecordPathBench.batch(records, size);
            for (Kek k : KEKS) {
                RecordEncryption enc = encryption(k);
                RebuiltRecords out = BenchKms.untilReady(() -> enc.encrypt("orders", plain));
                int encBytes = out.copyToMemoryRecords().sizeInBytes();
                out.release();
                double p = plain.sizeInBytes() / (double) records;
                double e = encBytes / (double) records;
                System.out.printf("%-40s %7d B %12.1f %12.1f %+8.1f%%%n", k.name(), size, p, e, (e / p - 1) * 100);
            }
            // With cluster keys the envelope is the compact layout (envelope version 2: CK id, DEK id, IV counter)
            // and the marker is "kh": the same size under every KMS.
            RecordEncryption ck = RecordPathBench.clusterKeyEncryption();
            RebuiltRecords out = BenchKms.untilReady(() -> ck.encrypt("orders", plain));
            int encBytes = out.copyToMemoryRecords().sizeInBytes();
            out.release();
            double p = plain.sizeInBytes() / (double) records;
            double e = encBytes / (double) records;
            System.out.printf("%-40s %7d B %12.1f %12.1f %+8.1f%%%n", "cluster keys, compact (any KMS)", size, p, e, (e / p - 1) * 100);
        }
    }

    private static RecordEncryption encryption(Kek k) {
        KekRef ref = new KekRef(k.kind(), k.keyRef(), k.version());
        byte[] edek = new byte[k.edekBytes()];
        new Random(7).nextBytes(edek);
        EncryptionDekCache deks = new EncryptionDekCache((id, ctx) -> CompletableFuture.completedFuture(
                new GeneratedDek(DataKey.generate(), ref, edek)), DekRotationPolicy.DEFAULT);
        DecryptionDekCache unused = new DecryptionDekCache((kek, e, ctx) -> CompletableFuture.failedFuture(new IllegalStateException()),
                KekPolicy.onlyKey(k.kind(), k.keyRef()), 1, Duration.ofMinutes(1));
        return new RecordEncryption(new EnvelopeEncryptor(deks), new EnvelopeDecryptor(unused), k.keyRef(), "lkc-bench",
                UnencryptedRecordPolicy.REJECT, new ProxyCounters());
    }
}
