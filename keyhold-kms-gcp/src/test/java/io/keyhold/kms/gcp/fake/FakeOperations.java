package io.keyhold.kms.gcp.fake;

import com.google.cloud.kms.v1.CreateCryptoKeyRequest;
import com.google.cloud.kms.v1.CreateCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.CreateKeyRingRequest;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.CryptoKeyVersionTemplate;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.DestroyCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.GetCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.KeyRing;
import com.google.cloud.kms.v1.ListCryptoKeyVersionsRequest;
import com.google.cloud.kms.v1.ListCryptoKeyVersionsResponse;
import com.google.cloud.kms.v1.ProtectionLevel;
import com.google.cloud.kms.v1.RestoreCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.UpdateCryptoKeyPrimaryVersionRequest;
import com.google.cloud.kms.v1.UpdateCryptoKeyVersionRequest;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyhold.kms.gcp.fake.FakeCryptoKey.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * What each modelled method of {@code google.cloud.kms.v1.KeyManagementService} does to the fake's
 * keys, with Cloud KMS's status codes and words: permissions first ({@code PERMISSION_DENIED ...
 * (or it may not exist)}), then existence ({@code NOT_FOUND}), then the version's state
 * ({@code FAILED_PRECONDITION ... is not enabled, current state is: DISABLED.}), and CRC32C
 * verification of requests ({@code INVALID_ARGUMENT The checksum in field ... did not match ...}).
 */
final class FakeOperations {
    /** What the fake does to the integrity fields, besides checking them. */
    enum Integrity { NORMAL, CORRUPT_RESPONSE, UNVERIFIED, DAMAGED_REQUEST }

    private static final Pattern KEY = Pattern.compile("projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+");
    private static final Pattern VERSION = Pattern.compile("(" + KEY.pattern() + ")/cryptoKeyVersions/(\\d+)");
    private static final Duration DESTROY_SCHEDULED_DURATION = Duration.ofDays(30); // Cloud KMS's default

    private final Map<String, Instant> keyRings = new ConcurrentHashMap<>();
    private final Map<String, FakeCryptoKey> keys = new ConcurrentHashMap<>();

    FakeCryptoKey key(String name) {
        FakeCryptoKey k = keys.get(name);
        if (k == null) {
            throw new IllegalArgumentException("the fake has no key " + name);
        }
        return k;
    }

    FakeCryptoKey create(String keyRing, String id, CryptoKeyPurpose purpose, CryptoKeyVersionAlgorithm algorithm, boolean firstVersion) {
        keyRings.putIfAbsent(keyRing, Instant.now());
        FakeCryptoKey k = new FakeCryptoKey(keyRing + "/cryptoKeys/" + id, purpose, algorithm, firstVersion);
        if (keys.putIfAbsent(k.name, k) != null) {
            throw Status.ALREADY_EXISTS.withDescription("CryptoKey " + k.name + " already exists.").asRuntimeException();
        }
        return k;
    }

    // ---- data path ----

    EncryptResponse encrypt(EncryptRequest r, Integrity integrity) {
        Matcher version = VERSION.matcher(r.getName());
        FakeCryptoKey k = existing(version.matches() ? version.group(1) : r.getName(), "cloudkms.cryptoKeyVersions.useToEncrypt");
        Version v = version.matches() ? k.version(Integer.parseInt(version.group(2))) : k.primaryVersion();
        if (k.purpose != CryptoKeyPurpose.ENCRYPT_DECRYPT || v == null) {
            throw Status.FAILED_PRECONDITION.withDescription(k.name + " is not a symmetric encryption key with a primary version.").asRuntimeException();
        }
        boolean plainOk = verify(r.hasPlaintextCrc32C(), r.getPlaintextCrc32C(), r.getPlaintext(), "plaintext", integrity);
        boolean aadOk = verify(r.hasAdditionalAuthenticatedDataCrc32C(), r.getAdditionalAuthenticatedDataCrc32C(),
                r.getAdditionalAuthenticatedData(), "additional_authenticated_data", integrity);
        requireEnabled(k, v);
        byte[] ciphertext = FakeCiphertext.seal(v, r.getPlaintext().toByteArray(), r.getAdditionalAuthenticatedData().toByteArray());
        long crc = crc(ciphertext);
        if (integrity == Integrity.CORRUPT_RESPONSE) {
            ciphertext[ciphertext.length / 2] ^= 0x04; // damaged after the service computed its checksum
        }
        boolean unverified = integrity == Integrity.UNVERIFIED;
        return EncryptResponse.newBuilder().setName(k.versionName(v.id)).setCiphertext(ByteString.copyFrom(ciphertext))
                .setCiphertextCrc32C(Int64Value.of(crc)).setVerifiedPlaintextCrc32C(plainOk && !unverified)
                .setVerifiedAdditionalAuthenticatedDataCrc32C(aadOk && !unverified).setProtectionLevel(ProtectionLevel.SOFTWARE).build();
    }

    DecryptResponse decrypt(DecryptRequest r, Integrity integrity) {
        FakeCryptoKey k = existing(r.getName(), "cloudkms.cryptoKeyVersions.useToDecrypt");
        verify(r.hasCiphertextCrc32C(), r.getCiphertextCrc32C(), r.getCiphertext(), "ciphertext", integrity);
        verify(r.hasAdditionalAuthenticatedDataCrc32C(), r.getAdditionalAuthenticatedDataCrc32C(), r.getAdditionalAuthenticatedData(),
                "additional_authenticated_data", integrity);
        byte[] c = r.getCiphertext().toByteArray();
        Version v = FakeCiphertext.version(k, c);
        if (v == null) {
            throw invalid("Decryption failed: verify that 'name' refers to the correct CryptoKey.");
        }
        requireEnabled(k, v);
        byte[] plaintext = FakeCiphertext.open(v, c, r.getAdditionalAuthenticatedData().toByteArray());
        if (plaintext == null) {
            throw invalid("Decryption failed: the ciphertext is invalid.");
        }
        long crc = crc(plaintext);
        if (integrity == Integrity.CORRUPT_RESPONSE) {
            plaintext[0] ^= 0x01;
        }
        return DecryptResponse.newBuilder().setPlaintext(ByteString.copyFrom(plaintext)).setPlaintextCrc32C(Int64Value.of(crc))
                .setUsedPrimary(v.id == k.primary).setProtectionLevel(ProtectionLevel.SOFTWARE).build();
    }

    // ---- management ----

    CryptoKey getCryptoKey(GetCryptoKeyRequest r) {
        return proto(existing(r.getName(), "cloudkms.cryptoKeys.get"));
    }

    CryptoKeyVersion getCryptoKeyVersion(GetCryptoKeyVersionRequest r) {
        Matcher m = versionName(r.getName());
        FakeCryptoKey k = existing(m.group(1), "cloudkms.cryptoKeyVersions.get");
        return proto(k, version(k, m));
    }

    KeyRing createKeyRing(CreateKeyRingRequest r) {
        String name = r.getParent() + "/keyRings/" + r.getKeyRingId();
        if (keyRings.putIfAbsent(name, Instant.now()) != null) {
            throw Status.ALREADY_EXISTS.withDescription("KeyRing " + name + " already exists.").asRuntimeException();
        }
        return KeyRing.newBuilder().setName(name).setCreateTime(timestamp(keyRings.get(name))).build();
    }

    CryptoKey createCryptoKey(CreateCryptoKeyRequest r) {
        if (!keyRings.containsKey(r.getParent())) {
            throw Status.NOT_FOUND.withDescription("KeyRing " + r.getParent() + " not found.").asRuntimeException();
        }
        CryptoKey spec = r.getCryptoKey();
        CryptoKeyVersionAlgorithm algorithm = spec.getVersionTemplate().getAlgorithm();
        if (algorithm == CryptoKeyVersionAlgorithm.CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED) {
            algorithm = CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION;
        }
        return proto(create(r.getParent(), r.getCryptoKeyId(), spec.getPurpose(), algorithm, !r.getSkipInitialVersionCreation()));
    }

    CryptoKeyVersion createCryptoKeyVersion(CreateCryptoKeyVersionRequest r) {
        FakeCryptoKey k = existing(r.getParent(), "cloudkms.cryptoKeyVersions.create");
        Version v = k.addVersion();
        if (k.primary == 0 && k.purpose == CryptoKeyPurpose.ENCRYPT_DECRYPT) {
            k.primary = v.id;
        }
        return proto(k, v);
    }

    CryptoKey updatePrimary(UpdateCryptoKeyPrimaryVersionRequest r) {
        FakeCryptoKey k = existing(r.getName(), "cloudkms.cryptoKeys.update");
        Version v = k.version(parseId(r.getCryptoKeyVersionId()));
        if (v == null) {
            throw Status.NOT_FOUND.withDescription("CryptoKeyVersion " + k.versionName(parseId(r.getCryptoKeyVersionId())) + " not found.")
                    .asRuntimeException();
        }
        requireEnabled(k, v);
        k.primary = v.id;
        return proto(k);
    }

    CryptoKeyVersion updateVersion(UpdateCryptoKeyVersionRequest r) {
        Matcher m = versionName(r.getCryptoKeyVersion().getName());
        FakeCryptoKey k = existing(m.group(1), "cloudkms.cryptoKeyVersions.update");
        Version v = version(k, m);
        if (!r.getUpdateMask().getPathsList().equals(java.util.List.of("state"))) {
            throw invalid("The request must update 'state' only.");
        }
        CryptoKeyVersionState to = r.getCryptoKeyVersion().getState();
        if ((to != CryptoKeyVersionState.ENABLED && to != CryptoKeyVersionState.DISABLED)
                || (v.state != CryptoKeyVersionState.ENABLED && v.state != CryptoKeyVersionState.DISABLED)) {
            throw Status.FAILED_PRECONDITION.withDescription(k.versionName(v.id) + " can not change from " + v.state + " to " + to
                    + ", current state is: " + v.state + ".").asRuntimeException();
        }
        v.state = to;
        return proto(k, v);
    }

    CryptoKeyVersion destroy(DestroyCryptoKeyVersionRequest r) {
        Matcher m = versionName(r.getName());
        FakeCryptoKey k = existing(m.group(1), "cloudkms.cryptoKeyVersions.destroy");
        Version v = version(k, m);
        if (v.state != CryptoKeyVersionState.ENABLED && v.state != CryptoKeyVersionState.DISABLED) {
            throw Status.FAILED_PRECONDITION.withDescription(k.versionName(v.id) + " can not be destroyed, current state is: " + v.state + ".")
                    .asRuntimeException();
        }
        v.state = CryptoKeyVersionState.DESTROY_SCHEDULED;
        v.destroyTime = Instant.now().plus(DESTROY_SCHEDULED_DURATION);
        return proto(k, v);
    }

    CryptoKeyVersion restore(RestoreCryptoKeyVersionRequest r) {
        Matcher m = versionName(r.getName());
        FakeCryptoKey k = existing(m.group(1), "cloudkms.cryptoKeyVersions.restore");
        Version v = version(k, m);
        if (v.state != CryptoKeyVersionState.DESTROY_SCHEDULED) {
            throw Status.FAILED_PRECONDITION.withDescription(k.versionName(v.id) + " is not scheduled for destruction, current state is: "
                    + v.state + ".").asRuntimeException();
        }
        v.state = CryptoKeyVersionState.DISABLED;
        v.destroyTime = null;
        return proto(k, v);
    }

    /** Every version of the key, in one page (the fake's keys have few). */
    ListCryptoKeyVersionsResponse listVersions(ListCryptoKeyVersionsRequest r) {
        FakeCryptoKey k = existing(r.getParent(), "cloudkms.cryptoKeyVersions.list");
        ListCryptoKeyVersionsResponse.Builder b = ListCryptoKeyVersionsResponse.newBuilder().setTotalSize(k.versions.size());
        k.versions.forEach(v -> b.addCryptoKeyVersions(proto(k, v)));
        return b.build();
    }

    // ---- helpers ----

    /** The key {@code name} names, after checking the principal may {@code permission} on it. */
    private FakeCryptoKey existing(String name, String permission) {
        if (!KEY.matcher(name).matches()) {
            throw invalid("Resource name [" + name + "] does not match any known resource name pattern.");
        }
        FakeCryptoKey k = keys.get(name);
        if (k != null && k.deniedTo(permission)) {
            throw Status.PERMISSION_DENIED.withDescription("Permission '" + permission + "' denied on resource '" + name
                    + "' (or it may not exist).").asRuntimeException();
        }
        if (k == null) {
            throw Status.NOT_FOUND.withDescription("CryptoKey " + name + " not found.").asRuntimeException();
        }
        return k;
    }

    private static void requireEnabled(FakeCryptoKey k, Version v) {
        if (v.state != CryptoKeyVersionState.ENABLED) {
            throw Status.FAILED_PRECONDITION.withDescription(k.versionName(v.id) + " is not enabled, current state is: " + v.state + ".")
                    .asRuntimeException();
        }
    }

    /** Checks a request's CRC32C field, as Cloud KMS does; whether the field was there and matched. */
    private static boolean verify(boolean present, Int64Value checksum, ByteString data, String field, Integrity integrity) {
        if (present && (integrity == Integrity.DAMAGED_REQUEST || checksum.getValue() != crc(data.toByteArray()))) {
            throw invalid("The checksum in field " + field + "_crc32c did not match the data in field " + field + ".");
        }
        return present;
    }

    private static Matcher versionName(String name) {
        Matcher m = VERSION.matcher(name);
        if (!m.matches()) {
            throw invalid("Resource name [" + name + "] does not match any known resource name pattern.");
        }
        return m;
    }

    private static Version version(FakeCryptoKey k, Matcher m) {
        Version v = k.version(Integer.parseInt(m.group(2)));
        if (v == null) {
            throw Status.NOT_FOUND.withDescription("CryptoKeyVersion " + m.group() + " not found.").asRuntimeException();
        }
        return v;
    }

    private static int parseId(String id) {
        try {
            return Integer.parseInt(id);
        } catch (NumberFormatException e) {
            throw invalid("crypto_key_version_id must be a version number, got '" + id + "'.");
        }
    }

    static CryptoKey proto(FakeCryptoKey k) {
        CryptoKey.Builder b = CryptoKey.newBuilder().setName(k.name).setPurpose(k.purpose).setCreateTime(timestamp(k.created))
                .setVersionTemplate(CryptoKeyVersionTemplate.newBuilder().setAlgorithm(k.algorithm).setProtectionLevel(ProtectionLevel.SOFTWARE))
                .setDestroyScheduledDuration(com.google.protobuf.Duration.newBuilder().setSeconds(DESTROY_SCHEDULED_DURATION.getSeconds()));
        Version primary = k.primaryVersion();
        if (primary != null) {
            b.setPrimary(proto(k, primary));
        }
        return b.build();
    }

    static CryptoKeyVersion proto(FakeCryptoKey k, Version v) {
        CryptoKeyVersion.Builder b = CryptoKeyVersion.newBuilder().setName(k.versionName(v.id)).setState(v.state).setAlgorithm(k.algorithm)
                .setProtectionLevel(ProtectionLevel.SOFTWARE).setCreateTime(timestamp(v.created));
        if (v.destroyTime != null) {
            b.setDestroyTime(timestamp(v.destroyTime));
        }
        return b.build();
    }

    private static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    static long crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return c.getValue();
    }
}
