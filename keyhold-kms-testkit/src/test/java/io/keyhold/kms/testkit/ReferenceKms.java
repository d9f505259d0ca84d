package io.keyhold.kms.testkit;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.testkit.KmsFakeAdmin.CanCauseOutages.Outage;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A small in-memory KMS that keeps the whole contract, to show the suite passes on a correct
 * provider, and that breaks it in one chosen way ({@link Flaw}), to show the suite notices.
 * EDEK: IV (12) | AES-256-GCM of the DEK under the key version, bound to key, version and context.
 */
final class ReferenceKms implements Kms {
    private static byte[] scratch = new byte[32]; // shared on purpose, for RACES_UNDER_LOAD only

    private final ReferenceKeys keys;

    ReferenceKms(ReferenceKeys keys) {
        this.keys = keys;
    }

    static void addVersion(ReferenceKeys keys, ReferenceKeys.Key k) {
        if (keys.has(Flaw.ROTATION_LOSES_OLD_VERSIONS)) {
            k.versions.clear();
        }
        k.versions.add(ReferenceKeys.random(32));
    }

    @Override
    public String kind() {
        return "reference";
    }

    @Override
    public CompletionStage<KeyInfo> describe(String ref) {
        return run(() -> {
            ReferenceKeys.Key k = usable(ref, false);
            String version = keys.has(Flaw.ROTATION_INVISIBLE) ? "1" : String.valueOf(k.versions.size());
            String id = keys.has(Flaw.UNSTABLE_IDENTITY) ? ref + "#" + UUID.randomUUID() : ref;
            return new KeyInfo(id, k.state, "AES-256-GCM", "memory", version, true, null, null);
        });
    }

    @Override
    public CompletionStage<GeneratedDek> generate(String ref, EncryptionContext context) {
        if (context == null && keys.has(Flaw.THROWS_ON_BAD_ARGUMENTS)) {
            throw new IllegalArgumentException("no context");
        }
        return run(() -> {
            require(context != null, "an encryption context is required");
            ReferenceKeys.Key k = usable(ref, true);
            String version = String.valueOf(k.versions.size());
            byte[] dek = ReferenceKeys.random(32);
            byte[] edek = seal(k.versions.get(k.versions.size() - 1), dek, aad(ref, version, context));
            if (keys.has(Flaw.RACES_UNDER_LOAD)) { // wraps one key and hands out whatever another thread left in the buffer
                System.arraycopy(dek, 0, scratch, 0, 32);
                edek = seal(k.versions.get(k.versions.size() - 1), scratch.clone(), aad(ref, version, context));
                sleep(1);
                dek = scratch.clone();
            }
            if (keys.has(Flaw.EDEK_HOLDS_DEK)) {
                byte[] both = Arrays.copyOf(dek, 32 + edek.length);
                System.arraycopy(edek, 0, both, 32, edek.length);
                edek = both;
            }
            return new GeneratedDek(DataKey.fromBytesWipingSource(dek), new KekRef(kind(), ref, version), edek);
        });
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        return run(() -> {
            require(kek != null && kind().equals(kek.provider()), "not a " + kind() + " key: " + kek);
            require(edek != null && context != null, "an EDEK and a context are required");
            byte[] body = keys.has(Flaw.EDEK_HOLDS_DEK) && edek.length > 32 ? Arrays.copyOfRange(edek, 32, edek.length) : edek;
            ReferenceKeys.Key k = keys.keys.get(kek.keyId());
            if (keys.has(Flaw.LEAKS_KEY_IN_ERRORS) && k != null && k.state == KeyState.DISABLED) {
                byte[] dek = open(k.versions.get(Integer.parseInt(kek.keyVersion()) - 1), body, aad(kek.keyId(), kek.keyVersion(), context));
                throw new KmsDeniedException(Reason.DISABLED, "disabled; the key was " + HexFormat.of().formatHex(dek));
            }
            k = usable(kek.keyId(), true);
            if (k.unwrapDenied) {
                throw denied(Reason.ACCESS_DENIED, "unwrap is not allowed");
            }
            int v;
            try {
                v = Integer.parseInt(kek.keyVersion());
            } catch (NumberFormatException e) {
                throw denied(Reason.INVALID_CIPHERTEXT, "no such version");
            }
            if (v < 1 || v > k.versions.size()) {
                throw denied(Reason.INVALID_CIPHERTEXT, "no such version");
            }
            return DataKey.fromBytesWipingSource(open(k.versions.get(v - 1), body, aad(kek.keyId(), kek.keyVersion(), context)));
        });
    }

    @Override
    public CompletionStage<WrappedKey> wrap(String ref, DataKey key, EncryptionContext context) {
        if ((key == null || context == null) && keys.has(Flaw.THROWS_ON_BAD_ARGUMENTS)) {
            throw new IllegalArgumentException("no key or context");
        }
        return run(() -> {
            require(ref != null && key != null && context != null, "a reference, a key and an encryption context are required");
            ReferenceKeys.Key k = keys.has(Flaw.WRAP_IGNORES_KEY_STATE) ? keys.keys.get(ref) : usable(ref, true);
            if (k == null) {
                throw denied(Reason.NOT_FOUND, "no key " + ref);
            }
            int v = keys.has(Flaw.WRAP_UNDER_FIRST_VERSION) ? 1 : k.versions.size();
            String version = String.valueOf(v);
            byte[] bytes = keys.has(Flaw.WRAP_MAKES_A_NEW_KEY) ? ReferenceKeys.random(32) : key.withKeyBytes(byte[]::clone);
            byte[] edek = seal(k.versions.get(v - 1), bytes, aad(ref, version, context));
            Arrays.fill(bytes, (byte) 0);
            return new WrappedKey(new KekRef(kind(), ref, version), edek);
        });
    }

    @Override
    public CompletionStage<KeyInfo> rotate(String ref) {
        return run(() -> {
            addVersion(keys, usable(ref, false));
            return describe(ref).toCompletableFuture().join();
        });
    }

    @Override
    public CompletionStage<Void> checkAccess(String ref) {
        return keys.has(Flaw.CHECK_ACCESS_SKIPS_UNWRAP) ? describe(ref).thenApply(i -> null) : Kms.super.checkAccess(ref);
    }

    @Override
    public void close() {
    }

    private <T> CompletionStage<T> run(Supplier<T> call) {
        if (keys.outage == Outage.HANG) {
            if (keys.has(Flaw.BLOCKS_CALLER_WHILE_HANGING)) {
                sleep(1_000); // a blocking provider waits for the hang: far longer than the suite allows a call to return
            }
            return new CompletableFuture<>();
        }
        if (keys.outage == Outage.ERROR_503) {
            return CompletableFuture.failedFuture(keys.has(Flaw.OUTAGE_AS_DENIED) ? new KmsDeniedException(Reason.INVALID_KEY, "503")
                    : new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, "503"));
        }
        try {
            return CompletableFuture.completedFuture(call.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The key, if Keyhold may use it now ({@code crypto}: for wrapping or unwrapping, which a disabled key refuses). */
    private ReferenceKeys.Key usable(String ref, boolean crypto) {
        ReferenceKeys.Key k = keys.keys.get(ref);
        if (k == null) {
            throw denied(keys.has(Flaw.UNKNOWN_AS_DISABLED) ? Reason.DISABLED : Reason.NOT_FOUND, "no key " + ref);
        }
        if (k.denied) {
            throw denied(Reason.ACCESS_DENIED, "access denied to " + ref);
        }
        if (crypto && k.state == KeyState.DISABLED) {
            throw denied(keys.has(Flaw.DISABLED_AS_NOT_FOUND) ? Reason.NOT_FOUND : Reason.DISABLED, ref + " is disabled");
        }
        if (crypto && k.state == KeyState.PENDING_DELETION) {
            throw denied(Reason.PENDING_DELETION, ref + " is pending deletion");
        }
        return k;
    }

    private RuntimeException denied(Reason reason, String message) {
        if (keys.has(Flaw.DENIAL_AS_UNAVAILABLE) && reason == Reason.ACCESS_DENIED) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, message);
        }
        return new KmsDeniedException(reason, message);
    }

    private byte[] aad(String ref, String version, EncryptionContext context) {
        String binding = ref + "\n" + version + "\n";
        byte[] head = binding.getBytes(StandardCharsets.UTF_8);
        if (keys.has(Flaw.IGNORES_CONTEXT)) {
            return head;
        }
        byte[] ctx = context.canonicalBytes();
        byte[] all = Arrays.copyOf(head, head.length + ctx.length);
        System.arraycopy(ctx, 0, all, head.length, ctx.length);
        return all;
    }

    private byte[] seal(byte[] kek, byte[] dek, byte[] aad) {
        byte[] iv = ReferenceKeys.random(keys.has(Flaw.UNAUTHENTICATED_EDEK) ? 16 : 12);
        byte[] ct = crypt(Cipher.ENCRYPT_MODE, kek, iv, dek, aad);
        byte[] out = Arrays.copyOf(iv, iv.length + ct.length);
        System.arraycopy(ct, 0, out, iv.length, ct.length);
        return out;
    }

    private byte[] open(byte[] kek, byte[] edek, byte[] aad) {
        int ivLength = keys.has(Flaw.UNAUTHENTICATED_EDEK) ? 16 : 12;
        if (edek.length < ivLength + 32) {
            throw denied(Reason.INVALID_CIPHERTEXT, "too short");
        }
        byte[] plain = crypt(Cipher.DECRYPT_MODE, kek, Arrays.copyOf(edek, ivLength), Arrays.copyOfRange(edek, ivLength, edek.length), aad);
        if (plain.length != 32) {
            throw denied(Reason.INVALID_CIPHERTEXT, "not a data key");
        }
        return plain;
    }

    private byte[] crypt(int mode, byte[] kek, byte[] iv, byte[] in, byte[] aad) {
        try {
            if (keys.has(Flaw.UNAUTHENTICATED_EDEK)) {
                Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
                c.init(mode, new SecretKeySpec(kek, "AES"), new IvParameterSpec(iv));
                return c.doFinal(in);
            }
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad);
            return c.doFinal(in);
        } catch (GeneralSecurityException e) {
            throw denied(Reason.INVALID_CIPHERTEXT, "the EDEK does not open under this key and context");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
