package io.keyhold.kms.kmip;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.ContextBinding;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.kmip.internal.CurrentObjects;
import io.keyhold.kms.kmip.internal.EdekFormat;
import io.keyhold.kms.kmip.internal.FetchedKeys;
import io.keyhold.kms.kmip.internal.KeyAttributes;
import io.keyhold.kms.kmip.internal.KmipClient;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.internal.KmipErrors;
import io.keyhold.kms.kmip.internal.KmipKeyRef;
import io.keyhold.kms.kmip.internal.KmipResultException;
import io.keyhold.kms.kmip.internal.LocalEdekFormat;
import io.keyhold.kms.kmip.internal.ProtocolVersion;
import io.keyhold.kms.kmip.internal.ServerSettings;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * The {@code kmip} provider: keys on KMIP servers (HSMs and key managers that speak KMIP 1.1 to 1.4 or 2.0),
 * over mutually authenticated TLS with a client of Keyhold's own ({@link KmipClient}). Keyhold makes
 * each DEK, binds it to its encryption context ({@link ContextBinding}: DEK || HMAC keyed with the
 * DEK over the context) and has the server encrypt that with AES-CBC under the key, which never
 * leaves the server; unwrapping is the server's Decrypt and a check of the binding.
 *
 * <p>References ({@link KmipKeyRef}): {@code <server>/<unique identifier>} names one object, which
 * is its only version (rotation is not possible); {@code <server>/name:<name>} names every object
 * with that Name, the newest Active one wrapping, and a record's KEK reference carries the
 * identifier of the object that wrapped its DEK as its version. Rotation creates and activates a new
 * object with the same name. An object that is not Active (Pre-Active, Deactivated or Compromised
 * after a Revoke) is denied as {@code DISABLED}; a destroyed one as {@code NOT_FOUND} or
 * {@code DESTROYED}.
 *
 * <p>A server that speaks only KMIP 1.1 has no Encrypt and Decrypt: then Keyhold fetches the key
 * object with Get into memory ({@link FetchedKeys}: wiped after {@code fetched-key-lifetime-ms}, on
 * any refusal and whenever an object is seen not Active) and wraps DEKs itself with AES-256-GCM
 * ({@link LocalEdekFormat}, EDEK format 2). Every wrap and unwrap still asks the server for the
 * object's State first, so a revocation stops it at once. EDEKs of either format unwrap whatever
 * version is negotiated (format 1 needs a server of 1.2 or later). docs/kms/kmip.md has the settings
 * and the design, and says what the weaker 1.1 mode means.
 */
public final class KmipKms extends BlockingKms {
    public static final String KIND = "kmip";
    /** The label of KMIP EDEKs' context binding: fixed, or existing EDEKs stop unwrapping. */
    private static final ContextBinding BINDING = new ContextBinding("keyhold kmip edek v1");
    private static final int MAX_VERIFIED = 10_000;

    private final KmsConfig config;
    private final ProtocolVersion highest;
    private final ConcurrentMap<String, KmipClient> clients = new ConcurrentHashMap<>();
    /** (reference, object) pairs whose object was seen to carry the reference's Name: see {@link #requireVersionOf}. */
    private final Set<String> verified = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();
    private final FetchedKeys fetched;

    private KmipKms(KmsConfig config, int threads, ProtocolVersion highest, Duration fetchedKeyLifetime) {
        super(KIND, threads);
        this.config = config;
        this.highest = highest;
        this.fetched = new FetchedKeys(fetchedKeyLifetime);
    }

    /**
     * Settings: each server's, see {@link ServerSettings}; {@code threads} (default 8): how many calls
     * run at once; {@code max-version} (default 2.0): the highest KMIP version to offer;
     * {@code fetched-key-lifetime-ms} (default 30000, the server's default health interval): how long a
     * key fetched from a KMIP 1.1 server is kept in memory before it is wiped and fetched again.
     */
    public static KmipKms open(KmsConfig config) {
        return new KmipKms(config, config.integer("threads", 8, 1, 64), ProtocolVersion.parse(config.get("max-version").orElse(ProtocolVersion.HIGHEST.toString())),
                Duration.ofMillis(config.integer("fetched-key-lifetime-ms", 30_000, 1, 3_600_000)));
    }

    /** Whether this provider holds the fetched key of object {@code uid} of server {@code server} now (tests). */
    boolean holdsFetchedKey(String server, String uid) {
        return fetched.holds(server + "/" + uid);
    }

    @Override
    public String kind() {
        return KIND;
    }

    /**
     * Wipes every key fetched from {@code keyRef}'s server (KMIP 1.1 mode); the lock of a cluster
     * on that key then reaches its KEK too, not only the DEKs. Keys of other clusters on the same
     * server are fetched again at their next use.
     */
    @Override
    public void forget(String keyRef) {
        String server;
        try {
            server = KmipKeyRef.parse(keyRef).server();
        } catch (RuntimeException notOurs) {
            fetched.wipeAll();
            return;
        }
        fetched.wipeServer(server);
    }

    @Override
    protected KeyInfo describeBlocking(String keyRef) {
        KmipKeyRef ref = KmipKeyRef.parse(keyRef);
        KmipClient client = client(ref);
        KeyAttributes current = current(ref, client, "describe");
        Reason denial = KmipErrors.denial(current.state());
        if (denial != null) {
            fetched.wipeAll();
        }
        KeyState state = denial == null ? KeyState.ENABLED : denial == Reason.DESTROYED ? KeyState.DESTROYED : KeyState.DISABLED;
        Instant created = current.initialDate() > 0 ? Instant.ofEpochSecond(current.initialDate()) : null;
        return new KeyInfo(ref.toString(), state, current.algorithmName(), KeyInfo.UNKNOWN_REGION, current.uid(), ref.byName(), created, null);
    }

    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return run(() -> {
            KmipKeyRef ref = KmipKeyRef.parse(keyRef);
            KmipClient client = client(ref);
            return KmipKeyChecks.problems(current(ref, client, "describe"));
        });
    }

    @Override
    protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
        return generateByWrapping(keyRef, context);
    }

    /**
     * The server's Encrypt of the key and its context tag ({@link ContextBinding}) under the
     * current object; on a server without server-side crypto (KMIP 1.1 mode), a local AES-GCM wrap
     * under the fetched key ({@link LocalEdekFormat}).
     */
    @Override
    protected WrappedKey wrapBlocking(String keyRef, DataKey dek, EncryptionContext context) {
        KmipKeyRef ref = KmipKeyRef.parse(keyRef);
        KmipClient client = client(ref);
        if (!serverSideCrypto(client)) {
            return withFetchedKey(client, ref, () -> usable(current(ref, client, "wrap")),
                    (uid, kek) -> new WrappedKey(new KekRef(KIND, keyRef, uid), LocalEdekFormat.wrap(kek, uid, dek, context)));
        }
        String uid = ref.byName() ? usable(current(ref, client, "Encrypt")) : ref.uid();
        byte[] payload = BINDING.payload(dek, context);
        try {
            byte[] iv = new byte[EdekFormat.IV_LENGTH];
            random.nextBytes(iv);
            byte[] ciphertext = call(client, "Encrypt with " + ref, uid, () -> client.encrypt(uid, payload, iv));
            return new WrappedKey(new KekRef(KIND, keyRef, uid), EdekFormat.of(iv, ciphertext));
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }

    @Override
    protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
        if (!KIND.equals(kek.provider())) {
            throw new IllegalArgumentException("the KEK " + kek + " is not a KMIP key");
        }
        KmipKeyRef ref = KmipKeyRef.parse(kek.keyId());
        String uid = kek.keyVersion();
        KmipClient client = client(ref);
        if (LocalEdekFormat.isLocal(edek)) {
            requireVersionOf(ref, uid, client);
            return withFetchedKey(client, ref, () -> usable(call(client, "GetAttributes of " + uid + " for " + ref, uid,
                    () -> client.attributes(uid))), (object, key) -> LocalEdekFormat.unwrap(key, object, edek, context));
        }
        byte[] iv = EdekFormat.iv(edek);
        byte[] ciphertext = EdekFormat.ciphertext(edek);
        requireServerSideCrypto(client);
        requireVersionOf(ref, uid, client);
        String what = "Decrypt with " + ref + " (object " + uid + ")";
        byte[] payload = call(client, what, uid, () -> {
            try {
                return client.decrypt(uid, ciphertext, iv);
            } catch (KmipResultException e) {
                throw e.reason() == KmipEnums.ResultReason.GENERAL_FAILURE && decryptsItsOwn(client, uid) ? notOurs(e) : e;
            }
        });
        return BINDING.open(payload, context, "KMIP " + what);
    }

    @Override
    protected KeyInfo rotateBlocking(String keyRef) {
        KmipKeyRef ref = KmipKeyRef.parse(keyRef);
        if (!ref.byName()) {
            throw new UnsupportedOperationException("a KMIP key named by its unique identifier has one version: register it by name ("
                    + KmipKeyRef.ofName(ref.server(), "<name>") + ") to rotate");
        }
        KmipClient client = client(ref);
        String uid = call(client, "Create for " + ref, null,
                () -> client.create(ref.name(), KmipEnums.UsageMask.ENCRYPT | KmipEnums.UsageMask.DECRYPT));
        call(client, "Activate of " + uid + " for " + ref, uid, () -> {
            client.activate(uid);
            return null;
        });
        return describeBlocking(keyRef);
    }

    @Override
    protected void closeBlocking() {
        fetched.close();
        clients.values().forEach(KmipClient::close);
    }

    /** What Keyhold does with a fetched key: {@code uid} is the object, {@code key} a lease of its key. */
    private interface FetchedKeyUse<T> {
        T apply(String uid, DataKey key);
    }

    /**
     * Runs {@code use} with the key of the object {@code activeObject} returns (which checks on the
     * server that it is Active: every call asks, so a revocation stops wrapping at once), fetched with
     * Get unless held. Any refusal, other than of the EDEK itself, wipes every fetched key.
     */
    private <T> T withFetchedKey(KmipClient client, KmipKeyRef ref, Supplier<String> activeObject, FetchedKeyUse<T> use) {
        try {
            String uid = activeObject.get();
            try (DataKey key = fetched.lease(ref.server() + "/" + uid, () -> call(client, "Get of " + uid + " for " + ref, uid,
                    () -> client.getKey(uid)))) {
                return use.apply(uid, key);
            }
        } catch (KmsDeniedException e) {
            if (e.reason() != Reason.INVALID_CIPHERTEXT) {
                fetched.wipeAll();
            }
            throw e;
        }
    }

    /**
     * A record's KEK reference names the object that wrapped its DEK as its version; records can be
     * written by anyone who can produce, so the object must be one the reference names: the object
     * itself, or one carrying the reference's Name (checked once per pair).
     */
    private void requireVersionOf(KmipKeyRef ref, String uid, KmipClient client) {
        if (uid.isEmpty() || (!ref.byName() && !uid.equals(ref.uid()))) {
            throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "the data key names KMIP object '" + uid + "', which "
                    + ref + " does not name");
        }
        if (!ref.byName() || verified.contains(ref + "\0" + uid)) {
            return;
        }
        KeyAttributes object = call(client, "GetAttributes of " + uid + " for " + ref, uid, () -> client.attributes(uid));
        if (!object.names().contains(ref.name())) {
            throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "the data key names KMIP object '" + uid + "', which is not named '"
                    + ref.name() + "'");
        }
        if (verified.size() >= MAX_VERIFIED) {
            verified.clear();
        }
        verified.add(ref + "\0" + uid);
    }

    /**
     * Whether the server encrypts and decrypts a fresh value under {@code uid}: asked after it failed to
     * decrypt an EDEK with a General Failure, which is how some servers (pykmip) answer a bad padding
     * or tag. If it can decrypt its own output, the EDEK is what it refused.
     */
    private boolean decryptsItsOwn(KmipClient client, String uid) {
        byte[] probe = new byte[16];
        random.nextBytes(probe);
        byte[] iv = new byte[EdekFormat.IV_LENGTH];
        random.nextBytes(iv);
        try {
            return Arrays.equals(client.decrypt(uid, client.encrypt(uid, probe, iv), iv), probe);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static KmsDeniedException notOurs(KmipResultException e) {
        return new KmsDeniedException(Reason.INVALID_CIPHERTEXT, e.getMessage() + ", while the server decrypts a fresh value under the"
                + " same object: the data key is damaged or was not wrapped by this object", e);
    }

    private KeyAttributes current(KmipKeyRef ref, KmipClient client, String purpose) {
        if (!ref.byName()) {
            return call(client, "GetAttributes of " + ref, ref.uid(), () -> client.attributes(ref.uid()));
        }
        return call(client, "Locate of " + ref + " for " + purpose, null, () -> CurrentObjects.current(client, ref.name()))
                .orElseThrow(() -> new KmsDeniedException(Reason.NOT_FOUND, "the KMIP server '" + ref.server() + "' has no object named '"
                        + ref.name() + "' that Keyhold may use"));
    }

    private String usable(KeyAttributes current) {
        Reason denial = KmipErrors.denial(current.state());
        if (denial != null) {
            fetched.wipeAll();
            throw new KmsDeniedException(denial, "the newest KMIP object of that name, " + current.uid() + ", is "
                    + KmipEnums.State.name(current.state()) + ", and no other is Active");
        }
        return current.uid();
    }

    private static <T> T call(KmipClient client, String what, String uid, Supplier<T> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            throw KmipErrors.of(e, "KMIP " + what + " on " + client.server(), uid, client::attributes);
        }
    }

    private static boolean serverSideCrypto(KmipClient client) {
        return call(client, "Discover Versions", null, () -> client.version().hasServerSideCrypto());
    }

    private static void requireServerSideCrypto(KmipClient client) {
        if (!serverSideCrypto(client)) {
            throw new KmsDeniedException(Reason.INVALID_KEY, client.server() + " speaks only KMIP 1.1, which has no Decrypt, and this"
                    + " data key was wrapped by a KMIP server's Encrypt (format 1): it unwraps only on a server of KMIP 1.2 or later");
        }
    }

    private KmipClient client(KmipKeyRef ref) {
        try {
            return clients.computeIfAbsent(ref.server(), server -> new KmipClient(ServerSettings.read(server, config), highest));
        } catch (IllegalArgumentException e) {
            throw new KmsDeniedException(Reason.INVALID_KEY, e.getMessage(), e);
        }
    }
}
