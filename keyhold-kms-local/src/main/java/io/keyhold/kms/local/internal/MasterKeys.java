package io.keyhold.kms.local.internal;

import io.keyhold.common.AtomicFiles;
import io.keyhold.crypto.DataKey;
import io.keyhold.kms.local.LocalKmsException;
import io.keyhold.kms.local.LocalKmsOptions.KdfCost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/** Where the store's master key comes from: Argon2id over a passphrase, or a random key file. */
public final class MasterKeys {
    private MasterKeys() {
    }

    /** Bytes Bouncy Castle's Argon2 holds per KiB of {@code memory_kib}: a 1 KiB block and its object header. */
    private static final long BYTES_PER_KIB = 1024 + 64;

    public static DataKey fromPassphrase(char[] passphrase, byte[] salt, KdfCost cost) {
        Runtime rt = Runtime.getRuntime();
        long needed = cost.memoryKib() * BYTES_PER_KIB;
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (needed > available) {
            // A clear refusal instead of an OutOfMemoryError half way through the derivation.
            throw new LocalKmsException(LocalKmsException.Kind.INVALID_STATE, "deriving the local KMS master key needs "
                    + (needed >> 20) + " MiB (Argon2id memory_kib " + cost.memoryKib() + ") and this JVM has "
                    + (available >> 20) + " MiB free: give it more heap (-Xmx)");
        }
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(salt)
                .withMemoryAsKB(cost.memoryKib())
                .withIterations(cost.iterations())
                .withParallelism(cost.parallelism())
                .build();
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(params);
        byte[] out = new byte[DataKey.LENGTH];
        gen.generateBytes(passphrase, out);
        return DataKey.fromBytesWipingSource(out);
    }

    /** Reads the key file (base64 of 32 bytes). */
    public static DataKey readKeyFile(Path file) {
        byte[] text;
        try {
            text = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new LocalKmsException(LocalKmsException.Kind.STORE_IO, "cannot read the local KMS master key file " + file
                    + ": " + e.getMessage() + ". Restore it from backup; without it the keys cannot be opened.");
        }
        try {
            byte[] raw = Base64.getDecoder().decode(new String(text, StandardCharsets.US_ASCII).trim());
            if (raw.length != DataKey.LENGTH) {
                Arrays.fill(raw, (byte) 0);
                throw new IllegalArgumentException("wrong length");
            }
            return DataKey.fromBytesWipingSource(raw);
        } catch (IllegalArgumentException e) {
            throw new LocalKmsException(LocalKmsException.Kind.STORE_CORRUPTED, "the local KMS master key file " + file
                    + " is corrupted (expected base64 of 32 bytes). Restore it from backup.");
        } finally {
            Arrays.fill(text, (byte) 0);
        }
    }

    /** Creates a new random key file, owner-only. */
    public static DataKey createKeyFile(Path file) {
        DataKey key = DataKey.generate();
        byte[] encoded = key.withKeyBytes(b -> Base64.getEncoder().encode(b));
        try {
            AtomicFiles.create(file, encoded);
        } catch (IOException e) {
            key.destroy();
            throw new LocalKmsException(LocalKmsException.Kind.STORE_IO, "cannot create the local KMS master key file " + file + ": " + e.getMessage());
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
        return key;
    }
}
