package io.keyhold.proxy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsDeniedException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A KMS stand-in for proxy tests, independent of the code under test: wraps DEKs with raw JCA
 * AES-GCM under a random KEK, with the key id and the encryption context as associated data (so a
 * DEK unwraps only for the cluster and topic it was wrapped for, as with a real KMS), counts its
 * calls, and can be told to deny (key revoked) or to hang for some contexts (a KMS that does not
 * answer). Calls run on the KMS's own threads, as a real provider's do. One instance wraps and
 * unwraps for every key id (its kind is {@value #KIND}), like one KMS holding many keys.
 */
public final class TestKms extends BlockingKms {
    public static final String KIND = "test";

    private final byte[] kek = new byte[32];
    private final SecureRandom random = new SecureRandom();
    final AtomicInteger generated = new AtomicInteger();
    final AtomicInteger unwrapped = new AtomicInteger();
    /** Every DEK generated, by topic (the context's), to check that the proxy wiped it. */
    final java.util.Map<String, DataKey> generatedByTopic = new java.util.concurrent.ConcurrentHashMap<>();
    /** Every DEK unwrapped, by topic: the keys a proxy's decryption cache holds. */
    final java.util.Map<String, java.util.List<DataKey>> unwrappedByTopic = new java.util.concurrent.ConcurrentHashMap<>();
    volatile boolean denied;
    /** Every key reference {@link #forget} was called with, in order (a lock's). */
    final java.util.List<String> forgotten = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Calls whose context matches hang until {@link #release()}. */
    private volatile Predicate<EncryptionContext> hangs = c -> false;
    private volatile CountDownLatch released = new CountDownLatch(0);

    public TestKms() {
        super(KIND, 8);
        random.nextBytes(kek);
    }

    /** From now on, calls for a context that matches do not answer until {@link #release()}. */
    public void hangFor(Predicate<EncryptionContext> which) {
        released = new CountDownLatch(1);
        hangs = which;
    }

    /** Lets hanging calls go on, and stops hanging new ones. */
    public void release() {
        hangs = c -> false;
        released.countDown();
    }

    private void maybeHang(EncryptionContext context) {
        if (hangs.test(context)) {
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected GeneratedDek generateBlocking(String kekId, EncryptionContext context) {
        maybeHang(context);
        checkDenied(kekId);
        generated.incrementAndGet();
        DataKey dek = DataKey.generate();
        byte[] edek = dek.withKeyBytes(b -> wrap(b, kekId, context));
        String topic = context.pairs().get(EncryptionContext.TOPIC);
        if (topic != null) {
            generatedByTopic.put(topic, dek);
        }
        return new GeneratedDek(dek, new KekRef(KIND, kekId, "1"), edek);
    }

    @Override
    protected DataKey unwrapBlocking(KekRef ref, byte[] edek, EncryptionContext context) {
        maybeHang(context);
        checkDenied(ref.keyId());
        unwrapped.incrementAndGet();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, edek, 0, 12));
            c.updateAAD(aad(ref.keyId(), context));
            DataKey dek = DataKey.fromBytesWipingSource(c.doFinal(edek, 12, edek.length - 12));
            String topic = context.pairs().get(EncryptionContext.TOPIC);
            if (topic != null) {
                unwrappedByTopic.computeIfAbsent(topic, t -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(dek);
            }
            return dek;
        } catch (GeneralSecurityException | IllegalArgumentException | java.security.ProviderException e) {
            // a damaged EDEK (too short, bad tag) or another context: refused like a real KMS refuses it
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "test KMS cannot unwrap this EDEK");
        }
    }

    @Override
    public void forget(String keyRef) {
        forgotten.add(keyRef);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    protected KeyInfo describeBlocking(String keyId) {
        checkDenied(keyId);
        return new KeyInfo(keyId, KeyState.ENABLED, "AES-256-GCM", "test", "1", false, null, null);
    }

    @Override
    protected KeyInfo rotateBlocking(String keyId) {
        throw new UnsupportedOperationException("the test KMS has one version per key");
    }

    @Override
    protected void closeBlocking() {
        release();
    }

    private void checkDenied(String kekId) {
        if (denied) {
            throw new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "test key " + kekId + " is disabled");
        }
    }

    private static byte[] aad(String kekId, EncryptionContext context) {
        byte[] id = kekId.getBytes(StandardCharsets.UTF_8);
        byte[] ctx = context.canonicalBytes();
        byte[] out = Arrays.copyOf(id, id.length + 1 + ctx.length);
        System.arraycopy(ctx, 0, out, id.length + 1, ctx.length);
        return out;
    }

    private byte[] wrap(byte[] dekBytes, String kekId, EncryptionContext context) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad(kekId, context));
            byte[] ct = c.doFinal(dekBytes);
            byte[] out = Arrays.copyOf(iv, 12 + ct.length);
            System.arraycopy(ct, 0, out, 12, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
