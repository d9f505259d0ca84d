package io.keyhold.kms.pkcs11;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.pkcs11.internal.Cryptoki;
import io.keyhold.kms.pkcs11.internal.KeyAttributes;
import io.keyhold.kms.pkcs11.internal.Pkcs11Errors;
import io.keyhold.kms.pkcs11.internal.Pkcs11Settings;
import io.keyhold.kms.pkcs11.internal.Pkcs11Token;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;

/**
 * A connection to the tokens of one PKCS#11 library (an HSM, SoftHSM2) through the JDK's SunPKCS11
 * provider, on {@link BlockingKms}'s threads (the library's calls block). Key references are
 * {@code pkcs11:token=<token label>;object=<key label>} ({@link Pkcs11KeyRef}); the key is an
 * AES-256 secret key object that never leaves the token: a DEK is Keyhold-made and sealed with
 * AES-256-GCM inside the token, a random 96-bit IV, the encryption context's canonical bytes as AAD
 * (EDEK = IV || ciphertext || tag, 60 bytes). Versions are key objects {@code <label>},
 * {@code <label>.v2}, ...; the KEK reference's version names the one that sealed the DEK.
 *
 * <p>A key whose {@code CKA_ENCRYPT} and {@code CKA_DECRYPT} are both false is disabled; one where
 * only the needed one is false is access denied; a removed key object or token is not found; a
 * refused PIN is access denied; the library's other failures are unavailable. See docs/kms/pkcs11.md.
 */
public final class Pkcs11Kms extends BlockingKms {
    public static final String KIND = "pkcs11";
    private static final int EDEK_BYTES = Pkcs11Token.IV_BYTES + DataKey.LENGTH + Pkcs11Token.TAG_BITS / 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Pkcs11Settings settings;
    private final Cryptoki cryptoki;
    private final ConcurrentMap<String, Pkcs11Token> tokens = new ConcurrentHashMap<>();
    /** The attributes the last describe of each reference read, for {@link #keyProblems}. */
    private final ConcurrentMap<String, KeyAttributes> described = new ConcurrentHashMap<>();

    private Pkcs11Kms(Pkcs11Settings settings, Cryptoki cryptoki) {
        super(KIND, settings.threads());
        this.settings = settings;
        this.cryptoki = cryptoki;
    }

    /**
     * Opens a connection with the settings described in docs/kms/pkcs11.md ({@code library},
     * {@code pin-file} or {@code pin-env}); tokens are logged in to on first use.
     */
    public static Pkcs11Kms open(KmsConfig config) {
        Pkcs11Settings settings = Pkcs11Settings.from(config);
        try {
            return new Pkcs11Kms(settings, Cryptoki.load(settings.library()));
        } catch (RuntimeException e) {
            settings.wipe();
            throw e;
        }
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    protected KeyInfo describeBlocking(String keyRef) {
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse(keyRef);
        return onToken("describe", ref, token -> {
            int current = current(token, ref);
            KeyAttributes attributes = existing(token, ref, current);
            described.put(keyRef, attributes);
            return new KeyInfo(keyId(token, ref), attributes.disabled() ? KeyState.DISABLED : KeyState.ENABLED, "AES-256-GCM",
                    KeyInfo.UNKNOWN_REGION, Integer.toString(current), true, null, null);
        });
    }

    /**
     * Key type and size, sensitivity, extractability and usage of the current version, as
     * {@link KeyAttributes} words them: read by the describe this runs (on the connection's threads),
     * so the caller's thread never touches the library.
     */
    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return describe(keyRef).thenApply(info -> {
            KeyAttributes attributes = described.get(keyRef);
            return attributes == null ? List.of() : attributes.problems();
        });
    }

    @Override
    protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
        return generateByWrapping(keyRef, context);
    }

    /** AES-GCM on the token under the key's current version object, a fresh random IV, the context as AAD. */
    @Override
    protected WrappedKey wrapBlocking(String keyRef, DataKey dek, EncryptionContext context) {
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse(keyRef);
        return onToken("wrap", ref, token -> {
            int version = current(token, ref);
            SecretKey key = usable(token, ref, version, true);
            byte[] iv = new byte[Pkcs11Token.IV_BYTES];
            RANDOM.nextBytes(iv);
            byte[] edek = dek.withKeyBytes(bytes -> seal(token, key, iv, context, bytes));
            return new WrappedKey(new KekRef(KIND, keyRef, Integer.toString(version)), edek);
        });
    }

    @Override
    protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
        if (!KIND.equals(kek.provider())) {
            throw new IllegalArgumentException("not a pkcs11 key: " + kek);
        }
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse(kek.keyId());
        int version = Pkcs11KeyRef.parseVersion(kek.keyVersion());
        return onToken("unwrap", ref, token -> {
            SecretKey key = usable(token, ref, version, false);
            if (edek.length != EDEK_BYTES) {
                throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "a pkcs11 wrapped DEK is " + EDEK_BYTES + " bytes, got " + edek.length);
            }
            try {
                return DataKey.fromBytesWipingSource(token.open(key, edek, context.canonicalBytes()));
            } catch (AEADBadTagException e) {
                throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "the wrapped DEK is damaged, of another key or version of "
                        + ref.ref() + ", or bound to another encryption context");
            } catch (GeneralSecurityException e) {
                throw Pkcs11Errors.map("unwrap", ref.ref(), e);
            }
        });
    }

    /** A new key object {@code <label>.v<N+1>} on the token (sensitive, not extractable) that wraps from now on. */
    @Override
    protected KeyInfo rotateBlocking(String keyRef) {
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse(keyRef);
        onToken("rotate", ref, token -> {
            int next = current(token, ref) + 1;
            token.createKey(ref.versionLabel(next));
            return null;
        });
        return describeBlocking(keyRef);
    }

    @Override
    protected void closeBlocking() {
        // No logout: the login belongs to the process and the token, shared by every connection to it.
        tokens.clear();
        settings.wipe();
    }

    private static byte[] seal(Pkcs11Token token, SecretKey key, byte[] iv, EncryptionContext context, byte[] dek) {
        try {
            return token.seal(key, iv, context.canonicalBytes(), dek);
        } catch (GeneralSecurityException e) {
            throw Pkcs11Errors.map("wrap", token.label(), e);
        }
    }

    /** The key's stable identity: the token's serial number and the key label (a token's label can be reused). */
    private static String keyId(Pkcs11Token token, Pkcs11KeyRef ref) {
        return ref.ref() + ";serial=" + token.serialNumber();
    }

    private static int current(Pkcs11Token token, Pkcs11KeyRef ref) {
        TreeSet<Integer> versions = token.versions(ref);
        if (versions.isEmpty()) {
            throw new KmsDeniedException(Reason.NOT_FOUND, "no secret key labelled '" + ref.label() + "' on token '" + ref.token() + "'");
        }
        return versions.last();
    }

    private static KeyAttributes existing(Pkcs11Token token, Pkcs11KeyRef ref, int version) {
        KeyAttributes attributes = token.attributes(ref.versionLabel(version));
        if (attributes == null) {
            boolean keyExists = !token.versions(ref).isEmpty();
            throw new KmsDeniedException(keyExists ? Reason.DESTROYED : Reason.NOT_FOUND, keyExists
                    ? "version " + version + " of " + ref.ref() + " (object '" + ref.versionLabel(version) + "') is no longer on the token"
                    : "no secret key labelled '" + ref.label() + "' on token '" + ref.token() + "'");
        }
        return attributes;
    }

    /** The key object of {@code version}, checked to be allowed to encrypt (or decrypt) before the token is asked. */
    private static SecretKey usable(Pkcs11Token token, Pkcs11KeyRef ref, int version, boolean encrypt) {
        KeyAttributes attributes = existing(token, ref, version);
        if (attributes.disabled()) {
            throw new KmsDeniedException(Reason.DISABLED, ref.ref() + " is disabled (CKA_ENCRYPT and CKA_DECRYPT are false)");
        }
        if (encrypt ? !attributes.encrypt() : !attributes.decrypt()) {
            throw new KmsDeniedException(Reason.ACCESS_DENIED, ref.ref() + " may not " + (encrypt ? "encrypt (CKA_ENCRYPT" : "decrypt (CKA_DECRYPT")
                    + " is false)");
        }
        SecretKey key = token.key(ref.versionLabel(version));
        if (key == null) {
            throw new KmsDeniedException(Reason.NOT_FOUND, "no secret key labelled '" + ref.versionLabel(version) + "' on token '" + ref.token() + "'");
        }
        return key;
    }

    /** Runs {@code work} on the logged-in token {@code ref} names, mapping the library's errors to typed ones. */
    private <T> T onToken(String op, Pkcs11KeyRef ref, Function<Pkcs11Token, T> work) {
        Pkcs11Token token;
        try {
            token = tokens.computeIfAbsent(ref.token(), this::login);
        } catch (RuntimeException e) {
            throw Pkcs11Errors.map(op, "token '" + ref.token() + "'", e);
        }
        try {
            return work.apply(token);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            if (Pkcs11Errors.staleToken(e)) {
                tokens.remove(ref.token(), token);
            }
            throw Pkcs11Errors.map(op, ref.ref(), e);
        }
    }

    private Pkcs11Token login(String tokenLabel) {
        return Pkcs11Token.open(cryptoki, settings.library(), tokenLabel, settings::pin);
    }
}
