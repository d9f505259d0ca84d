package io.keyhold.kms.azure.fake;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One key of the fake vault: its versions (the last one is current, as Azure's versionless URL names
 * the newest), its type, permitted operations and recovery level, and which data actions Keyhold's
 * principal is denied by RBAC ({@code read}, {@code wrap}, {@code unwrap}, {@code rotate}, {@code *}).
 */
final class FakeVaultKey {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One version: its id (32 hex digits, like Azure's), its key pair and its attributes. */
    static final class Version {
        final String id;
        final KeyPair keys;
        final Instant created = Instant.now();
        volatile boolean enabled = true;
        volatile Instant notBefore;
        volatile Instant expires;

        Version(KeyPair keys) {
            byte[] raw = new byte[16];
            RANDOM.nextBytes(raw);
            this.id = HexFormat.of().formatHex(raw);
            this.keys = keys;
        }

        boolean active(Instant now) {
            return (notBefore == null || !notBefore.isAfter(now)) && (expires == null || expires.isAfter(now));
        }
    }

    final String name;
    /** {@code RSA}, {@code RSA-HSM}, {@code EC}, {@code EC-HSM}. */
    final String kty;
    final int bits;
    final List<Version> versions = new CopyOnWriteArrayList<>();
    final Set<String> denied = ConcurrentHashMap.newKeySet();
    volatile List<String> keyOps = List.of("encrypt", "decrypt", "wrapKey", "unwrapKey");
    volatile String recoveryLevel = "Recoverable";
    volatile boolean deleted;
    /** Unwraps answer bytes other than were wrapped (a broken HSM, a proxy that mangles bodies): {@link FakeKeyVault#unwrapWrongly}. */
    volatile boolean unwrapsWrongly;

    FakeVaultKey(String name, String kty, int bits) {
        this.name = name;
        this.kty = kty;
        this.bits = bits;
        rotate();
    }

    boolean rsa() {
        return kty.startsWith("RSA");
    }

    Version current() {
        return versions.get(versions.size() - 1);
    }

    Version version(String id) {
        return versions.stream().filter(v -> v.id.equals(id)).findFirst().orElse(null);
    }

    Version rotate() {
        Version v = new Version(pair());
        versions.add(v);
        return v;
    }

    boolean deniedTo(String action) {
        return denied.contains("*") || denied.contains(action);
    }

    private KeyPair pair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(rsa() ? "RSA" : "EC");
            g.initialize(rsa() ? bits : 256);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
