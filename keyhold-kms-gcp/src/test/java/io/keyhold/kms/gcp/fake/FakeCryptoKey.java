package io.keyhold.kms.gcp.fake;

import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** One Cloud KMS key of the fake: its versions, which one is primary, and the permissions Keyhold's principal lost on it. */
final class FakeCryptoKey {
    static final SecureRandom RANDOM = new SecureRandom();

    /** One key version: its state and its key material (a 32-byte AES key), named in ciphertexts by a random tag. */
    static final class Version {
        final int id;
        final byte[] tag = random(FakeCiphertext.TAG_BYTES);
        final byte[] secret = random(32);
        final Instant created = Instant.now();
        volatile CryptoKeyVersionState state = CryptoKeyVersionState.ENABLED;
        volatile Instant destroyTime;

        Version(int id) {
            this.id = id;
        }
    }

    final String name;
    final CryptoKeyPurpose purpose;
    final CryptoKeyVersionAlgorithm algorithm;
    final Instant created = Instant.now();
    final List<Version> versions = new CopyOnWriteArrayList<>();
    /** Permissions (e.g. {@code cloudkms.cryptoKeyVersions.useToDecrypt}) Keyhold's principal lacks; {@code *} for all. */
    final Set<String> denied = ConcurrentHashMap.newKeySet();
    /** The primary version's id; 0 for none. */
    volatile int primary;

    FakeCryptoKey(String name, CryptoKeyPurpose purpose, CryptoKeyVersionAlgorithm algorithm, boolean firstVersion) {
        this.name = name;
        this.purpose = purpose;
        this.algorithm = algorithm;
        if (firstVersion) {
            Version v = addVersion();
            if (purpose == CryptoKeyPurpose.ENCRYPT_DECRYPT) {
                primary = v.id;
            }
        }
    }

    synchronized Version addVersion() {
        Version v = new Version(versions.size() + 1);
        versions.add(v);
        return v;
    }

    Version version(int id) {
        return id < 1 || id > versions.size() ? null : versions.get(id - 1);
    }

    Version primaryVersion() {
        return version(primary);
    }

    Version byTag(byte[] tag) {
        return versions.stream().filter(v -> Arrays.equals(v.tag, tag)).findFirst().orElse(null);
    }

    String versionName(int id) {
        return name + "/cryptoKeyVersions/" + id;
    }

    boolean deniedTo(String permission) {
        return denied.contains("*") || denied.contains(permission);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
