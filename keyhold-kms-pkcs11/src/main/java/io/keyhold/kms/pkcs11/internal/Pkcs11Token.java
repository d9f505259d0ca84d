package io.keyhold.kms.pkcs11.internal;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.TreeSet;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * One token of the library, logged in as its user: a SunPKCS11 provider instance for the token's
 * slot (ciphers, key generation, the token's key store) and raw {@link Cryptoki} calls for what the
 * JCA does not show (attributes). AES-GCM runs inside the token: the key never leaves it.
 */
public final class Pkcs11Token {
    public static final int IV_BYTES = 12, TAG_BITS = 128;
    private static final java.util.concurrent.ConcurrentMap<String, Provider> PROVIDERS = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * How keys Keyhold makes (rotation) are born: a session object that cannot leave the token and
     * serves only encrypt and decrypt; the key store copies it into a token object with its label
     * (the copy keeps these attributes: PKCS#11 lets no copy become extractable or non-sensitive).
     */
    private static final String NEW_KEYS = "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n"
            + "  CKA_TOKEN = false\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_ENCRYPT = true\n  CKA_DECRYPT = true\n"
            + "  CKA_WRAP = false\n  CKA_UNWRAP = false\n}\n";

    private final Cryptoki cryptoki;
    private final Cryptoki.Token token;
    private final Provider provider;
    private final KeyStore keys;
    /** The PIN (a copy each call), to reload the key store: the key store keeps none. */
    private final java.util.function.Supplier<char[]> pin;

    private Pkcs11Token(Cryptoki cryptoki, Cryptoki.Token token, Provider provider, KeyStore keys, java.util.function.Supplier<char[]> pin) {
        this.cryptoki = cryptoki;
        this.pin = pin;
        this.token = token;
        this.provider = provider;
        this.keys = keys;
    }

    /**
     * The token labelled {@code label}, logged in with {@code pin}.
     *
     * @throws KmsDeniedException {@code NOT_FOUND} when no slot holds such a token
     * @throws CryptokiException  when the token refuses the login (the caller maps the code)
     */
    public static Pkcs11Token open(Cryptoki cryptoki, String library, String label, java.util.function.Supplier<char[]> pin) {
        Cryptoki.Token token = cryptoki.tokens().stream().filter(t -> t.label().equals(label)).findFirst()
                .orElseThrow(() -> new KmsDeniedException(KmsDeniedException.Reason.NOT_FOUND,
                        "no token labelled '" + label + "' is present in any slot of the PKCS#11 library " + library));
        // One provider per slot for the JVM: a provider is never freed, and logins are retried (a refused PIN, every health check).
        Provider provider = PROVIDERS.computeIfAbsent(library + "\n" + token.slot(), slot -> Security.getProvider("SunPKCS11").configure(
                "--name = keyhold-" + PROVIDERS.size() + "\nlibrary = " + library + "\nslot = " + token.slot() + "\n" + NEW_KEYS));
        try {
            KeyStore keys = KeyStore.getInstance("PKCS11", provider);
            char[] copy = pin.get();
            try {
                keys.load(null, copy);
            } finally {
                java.util.Arrays.fill(copy, '\0');
            }
            return new Pkcs11Token(cryptoki, token, provider, keys, pin);
        } catch (IOException | GeneralSecurityException e) {
            String code = CryptokiException.ckr(e);
            throw CryptokiException.of(code != null ? e : new IllegalStateException("cannot log in to token '" + label + "': " + e.getClass().getSimpleName()));
        }
    }

    public String label() {
        return token.label();
    }

    public String serialNumber() {
        return token.serialNumber();
    }

    /**
     * The versions of {@code ref}'s key on the token (the labels {@link Pkcs11KeyRef#versionOf}
     * recognises), ascending, as the token has them now (the JCA key store only knows the objects
     * that existed when it was loaded).
     */
    public TreeSet<Integer> versions(Pkcs11KeyRef ref) {
        TreeSet<Integer> versions = new TreeSet<>();
        for (String label : inSession(cryptoki::secretKeyLabels)) {
            int v = ref.versionOf(label);
            if (v > 0) {
                versions.add(v);
            }
        }
        return versions;
    }

    /** The attributes of the secret key labelled {@code objectLabel}, or null when there is none. */
    public KeyAttributes attributes(String objectLabel) {
        return inSession(session -> {
            long[] found = cryptoki.findSecretKeys(session, objectLabel);
            if (found.length == 0) {
                return null;
            }
            long k = found[0];
            return new KeyAttributes(cryptoki.number(session, k, Cryptoki.CKA_KEY_TYPE), cryptoki.number(session, k, Cryptoki.CKA_VALUE_LEN),
                    cryptoki.bool(session, k, Cryptoki.CKA_ENCRYPT), cryptoki.bool(session, k, Cryptoki.CKA_DECRYPT),
                    cryptoki.bool(session, k, Cryptoki.CKA_SENSITIVE), cryptoki.bool(session, k, Cryptoki.CKA_EXTRACTABLE));
        });
    }

    /** The key labelled {@code objectLabel}, as SunPKCS11's handle (no key bytes: the token keeps them), or null. */
    public SecretKey key(String objectLabel) {
        try {
            if (!keys.containsAlias(objectLabel)) {
                reload(); // made on the token by someone else (a rotation, the customer's tools) since the store was loaded
            }
            return keys.getKey(objectLabel, null) instanceof SecretKey k ? k : null;
        } catch (GeneralSecurityException e) {
            throw CryptokiException.of(e);
        }
    }

    private synchronized void reload() throws GeneralSecurityException {
        char[] copy = pin.get();
        try {
            keys.load(null, copy);
        } catch (java.io.IOException e) {
            throw CryptokiException.of(e);
        } finally {
            java.util.Arrays.fill(copy, '\0');
        }
    }

    /** A new AES-256 key labelled {@code objectLabel}: sensitive, not extractable, for encrypt and decrypt only. */
    public void createKey(String objectLabel) {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            keys.setEntry(objectLabel, new KeyStore.SecretKeyEntry(generator.generateKey()), null);
        } catch (GeneralSecurityException e) {
            throw CryptokiException.of(e);
        }
    }

    /** AES-256-GCM inside the token: {@code iv || ciphertext || tag}. */
    public byte[] seal(SecretKey key, byte[] iv, byte[] aad, byte[] plaintext) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
        cipher.updateAAD(aad);
        byte[] sealed = cipher.doFinal(plaintext);
        byte[] out = new byte[iv.length + sealed.length];
        System.arraycopy(iv, 0, out, 0, iv.length);
        System.arraycopy(sealed, 0, out, iv.length, sealed.length);
        return out;
    }

    /** Opens what {@link #seal} made; {@link javax.crypto.AEADBadTagException} when it is not from this key and AAD. */
    public byte[] open(SecretKey key, byte[] sealed, byte[] aad) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES));
        cipher.updateAAD(aad);
        return cipher.doFinal(sealed, IV_BYTES, sealed.length - IV_BYTES);
    }

    /** Runs {@code work} in a session of its own on this token (raw calls; SunPKCS11 keeps its own sessions). */
    public <T> T inSession(java.util.function.LongFunction<T> work) {
        long session = cryptoki.openSession(token.slot());
        try {
            return work.apply(session);
        } finally {
            cryptoki.closeSession(session);
        }
    }

    public Cryptoki cryptoki() {
        return cryptoki;
    }
}
