package io.keyhold.kms.aws.fake;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** One KMS key of the fake: its state, its key materials (the last one seals), and what Keyhold's principal may not do with it. */
final class FakeKey {
    /** A backing key: its id (named in blobs) and its secret. */
    record Material(byte[] id, byte[] secret, Instant created) {
        static Material fresh() {
            return new Material(FakeBlob.random(32), FakeBlob.random(32), Instant.now());
        }

        String idHex() {
            return HexFormat.of().formatHex(id);
        }
    }

    final UUID id = UUID.randomUUID();
    final String region;
    final String account;
    final String arn;
    final String keySpec;
    final String keyUsage;
    final Instant created = Instant.now();
    final List<Material> materials = new CopyOnWriteArrayList<>(List.of(Material.fresh()));
    /** Operations (e.g. {@code Decrypt}) Keyhold's principal is denied; {@code *} for all. */
    final Set<String> denied = ConcurrentHashMap.newKeySet();
    volatile String state = "Enabled";
    volatile Instant deletionDate;
    volatile boolean automaticRotation;

    FakeKey(String region, String account, String keySpec, String keyUsage) {
        this.region = region;
        this.account = account;
        this.arn = "arn:" + partition(region) + ":kms:" + region + ":" + account + ":key/" + id;
        this.keySpec = keySpec;
        this.keyUsage = keyUsage;
    }

    /** The partition of a region: {@code aws-cn} for China, {@code aws-us-gov} for GovCloud, else {@code aws}. */
    static String partition(String region) {
        return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    }

    Material current() {
        return materials.get(materials.size() - 1);
    }

    Material material(byte[] materialId) {
        return materials.stream().filter(m -> Arrays.equals(m.id(), materialId)).findFirst().orElse(null);
    }

    void rotate() {
        materials.add(Material.fresh());
    }

    boolean deniedTo(String op) {
        return denied.contains("*") || denied.contains(op);
    }
}
