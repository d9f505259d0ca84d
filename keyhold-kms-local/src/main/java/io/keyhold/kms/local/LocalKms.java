package io.keyhold.kms.local;

import io.keyhold.common.AtomicFiles;
import io.keyhold.crypto.Aad;
import io.keyhold.crypto.Aead;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.local.LocalKmsException.Kind;
import io.keyhold.kms.local.internal.LocalKeyFiles;
import io.keyhold.kms.local.internal.MasterKeys;
import io.keyhold.kms.local.internal.StoreFile;
import io.keyhold.kms.local.internal.StoreFile.Protection;
import io.keyhold.kms.local.internal.StoredKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyhold's embedded KMS: named AES-256 keys with versions, kept in an encrypted store under the
 * data directory. Key material never leaves the store except as DEKs wrapped under it.
 *
 * <p>Lifecycle: {@code ENABLED <-> DISABLED}; {@code ENABLED|DISABLED -> PENDING_DELETION} (with a
 * waiting period, cancellable) {@code -> DESTROYED} when the period lapses or on {@link #destroy}.
 * A destroyed key keeps its name (names are never reused, so old EDEKs can never meet a new key
 * of the same name) but none of its material.
 *
 * <p>Safe for concurrent use by threads and by processes (the CLI beside a running server): every
 * change takes a file lock, re-reads the store, and rewrites it atomically. The management methods
 * ({@link #create}, {@link #disable}, ...) block; the {@link io.keyhold.kms.Kms} methods run on the
 * connection's own threads.
 *
 * <p>Names are global to the store. A server shares one store among its organizations by giving
 * each a scope: its keys are named {@code <scope>/<name>} ({@link LocalKeyScope} is that view).
 * Names without a scope come from before scopes existed, or from an operator with the store files.
 *
 * <p>Wrapped DEKs (format 2) are AES-GCM under the key version, with the key name, version and the
 * DEK's {@link EncryptionContext} as associated data: a DEK wrapped for one cluster or topic does not
 * unwrap for another. Format 1 (no context, written before contexts existed) still unwraps.
 */
public final class LocalKms extends BlockingKms {
    public static final String KIND = "local";
    public static final String REGION = "local";
    public static final String ALGORITHM = "AES-256-GCM";
    private static final Logger LOG = LoggerFactory.getLogger(LocalKms.class);
    /** One part of a key name: what users type. */
    static final String NAME_PART = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";
    /** A store name: a name, optionally inside one scope ({@code <scope>/<name>}, see {@link LocalKeyScope}). */
    private static final Pattern NAME = Pattern.compile("(?:" + NAME_PART + "/)?" + NAME_PART);
    /** Wrapped DEKs bound to their encryption context. */
    private static final byte EDEK_VERSION = 2;
    /** Wrapped DEKs of earlier releases: bound to the key version only; still unwrapped, never written. */
    private static final byte EDEK_VERSION_UNBOUND = 1;
    private static final ConcurrentHashMap<Path, Object> MONITORS = new ConcurrentHashMap<>();

    private final LocalKmsOptions options;
    private final Path storeFile;
    private final Path lockFile;
    private final Object monitor;
    private final Protection protection;
    private final DataKey master;
    private final boolean generatedKeyFile;
    private Map<String, StoredKey> keys;
    private Object fingerprint;
    private boolean closed;

    private LocalKms(LocalKmsOptions options, Protection protection, DataKey master, boolean generatedKeyFile) {
        super(KIND, 2);
        this.options = options;
        this.storeFile = options.storeDir().resolve(LocalKeyFiles.STORE_FILE);
        this.lockFile = options.storeDir().resolve(LocalKeyFiles.LOCK_FILE);
        this.monitor = MONITORS.computeIfAbsent(storeFile.toAbsolutePath().normalize(), p -> new Object());
        this.protection = protection;
        this.master = master;
        this.generatedKeyFile = generatedKeyFile;
    }

    /** Opens the store under {@code options.dataDir()}, creating it on first use. */
    public static LocalKms open(LocalKmsOptions options) {
        Path dir = options.storeDir();
        Path store = dir.resolve(LocalKeyFiles.STORE_FILE);
        try {
            AtomicFiles.createPrivateDirectories(dir);
        } catch (IOException e) {
            throw new LocalKmsException(Kind.STORE_IO, "cannot create the local KMS directory " + dir + ": " + e.getMessage());
        }
        Object monitor = MONITORS.computeIfAbsent(store.toAbsolutePath().normalize(), p -> new Object());
        synchronized (monitor) {
            try (FileLock ignored = lock(dir.resolve(LocalKeyFiles.LOCK_FILE))) {
                if (Files.exists(store)) {
                    return openExisting(options, store);
                }
                return createNew(options, store);
            } catch (IOException e) {
                throw new LocalKmsException(Kind.STORE_IO, "cannot lock the local KMS store " + store + ": " + e.getMessage());
            }
        }
    }

    private static LocalKms openExisting(LocalKmsOptions options, Path store) {
        Protection protection = StoreFile.readProtection(store);
        DataKey master;
        if (Protection.PASSPHRASE.equals(protection.kind())) {
            if (options.passphrase() == null) {
                throw new LocalKmsException(Kind.PASSPHRASE_REQUIRED, "the local KMS store " + store
                        + " is protected by a passphrase: set KEYHOLD_LOCAL_KMS_PASSPHRASE or pass --passphrase-file");
            }
            master = MasterKeys.fromPassphrase(options.passphrase(), protection.salt(), protection.cost());
        } else {
            if (options.passphrase() != null) {
                throw new LocalKmsException(Kind.INVALID_STATE, "the local KMS store " + store + " is protected by the key file "
                        + LocalKeyFiles.MASTER_KEY_FILE + ", not by a passphrase: unset KEYHOLD_LOCAL_KMS_PASSPHRASE and drop --passphrase-file");
            }
            master = MasterKeys.readKeyFile(options.storeDir().resolve(LocalKeyFiles.MASTER_KEY_FILE));
        }
        LocalKms kms = new LocalKms(options, protection, master, false);
        try {
            kms.reloadIfChanged();
            kms.upgradeFormat();
        } catch (RuntimeException e) {
            master.destroy();
            throw e;
        }
        return kms;
    }

    /**
     * A store of an earlier format, just opened (so its check value verified): rewritten in the
     * current one, whose check value also authenticates the header. Runs under the store's lock.
     */
    private void upgradeFormat() {
        int version = StoreFile.version(storeFile);
        if (version < StoreFile.VERSION) {
            try {
                StoreFile.write(storeFile, protection, master, keys);
            } catch (LocalKmsException e) {
                if (e.kind() != Kind.STORE_IO) {
                    throw e;
                }
                // A read-only store still opens; it is upgraded by the first change made to it.
                LOG.warn("Local KMS store {} is in format {}; it could not be upgraded now: {}", storeFile, version, e.getMessage());
                return;
            }
            fingerprint = fingerprint();
            LOG.info("Local KMS store {} upgraded from format {} to {} (its check value now authenticates its header)",
                    storeFile, version, StoreFile.VERSION);
        }
    }

    private static LocalKms createNew(LocalKmsOptions options, Path store) {
        Protection protection;
        DataKey master;
        boolean generated = false;
        if (options.passphrase() != null) {
            if (new String(options.passphrase()).isBlank()) {
                throw new LocalKmsException(Kind.INVALID_STATE, "the local KMS passphrase must not be empty or blank");
            }
            protection = new Protection(Protection.PASSPHRASE, randomSalt(), options.kdfCost());
            master = MasterKeys.fromPassphrase(options.passphrase(), protection.salt(), protection.cost());
        } else {
            protection = new Protection(Protection.KEY_FILE, null, null);
            Path keyFile = options.storeDir().resolve(LocalKeyFiles.MASTER_KEY_FILE);
            if (Files.exists(keyFile)) {
                master = MasterKeys.readKeyFile(keyFile);
            } else {
                master = MasterKeys.createKeyFile(keyFile);
                generated = true;
                LOG.warn("No local KMS passphrase given (KEYHOLD_LOCAL_KMS_PASSPHRASE or --passphrase-file): generated a random "
                        + "master key file {}. The local keys are only as safe as that directory.", keyFile);
            }
        }
        StoreFile.write(store, protection, master, new LinkedHashMap<>());
        LocalKms kms = new LocalKms(options, protection, master, generated);
        kms.reloadIfChanged();
        return kms;
    }

    private static byte[] randomSalt() {
        byte[] salt = new byte[16];
        new java.security.SecureRandom().nextBytes(salt);
        return salt;
    }

    /** True when this open created a random master key file (the caller should warn the operator). */
    public boolean generatedKeyFile() {
        return generatedKeyFile;
    }

    /** The store's master-key protection: {@code passphrase} or {@code key-file}. */
    public String protection() {
        return protection.kind();
    }

    @Override
    public String kind() {
        return KIND;
    }

    // ---- management -------------------------------------------------------------------------

    public KeyInfo create(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new LocalKmsException(Kind.INVALID_NAME, "invalid key name '" + name
                    + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
                    + " (a store name may put one scope of the same form in front: '<scope>/<name>')");
        }
        return mutate(ks -> {
            if (ks.containsKey(name)) {
                throw new LocalKmsException(Kind.NAME_TAKEN, "a key named '" + name + "' already exists (names are never reused, "
                        + "even after a key is destroyed): choose another name");
            }
            Instant now = options.clock().instant();
            StoredKey k = new StoredKey(name, now, KeyState.ENABLED);
            k.versions.put(1, new StoredKey.Version(1, now, DataKey.generate()));
            ks.put(name, k);
            return k;
        });
    }

    public List<KeyInfo> list() {
        return read(ks -> {
            List<KeyInfo> out = new ArrayList<>();
            ks.values().forEach(k -> out.add(info(k)));
            return out;
        });
    }

    /** Whether the store has a key {@code name}, in any state (blocking). */
    boolean exists(String name) {
        return read(ks -> ks.containsKey(name));
    }

    /** The key {@code name} as the store has it (blocking). */
    public KeyInfo describeKey(String name) {
        return read(ks -> info(find(ks, name)));
    }

    @Override
    protected KeyInfo describeBlocking(String keyRef) {
        return describeKey(keyRef);
    }

    @Override
    protected KeyInfo rotateBlocking(String keyRef) {
        try {
            return rotateKey(keyRef);
        } catch (LocalKmsException e) {
            if (e.kind() == LocalKmsException.Kind.INVALID_STATE) {
                checkUsable(keyRef); // the SPI's typed refusal (disabled, pending deletion, destroyed), as for every other call
            }
            throw e;
        }
    }

    /** A new version of key {@code name}, which wraps from now on (blocking). */
    public KeyInfo rotateKey(String name) {
        return mutate(ks -> {
            StoredKey k = find(ks, name);
            requireState(k, "rotate", KeyState.ENABLED);
            int next = k.currentVersion() + 1;
            k.versions.put(next, new StoredKey.Version(next, options.clock().instant(), DataKey.generate()));
            return k;
        });
    }

    public KeyInfo disable(String name) {
        return transition(name, "disable", KeyState.DISABLED, KeyState.ENABLED, KeyState.DISABLED);
    }

    public KeyInfo enable(String name) {
        return transition(name, "enable", KeyState.ENABLED, KeyState.ENABLED, KeyState.DISABLED);
    }

    /** Schedules destruction after {@code waitingPeriod}; the key refuses all use meanwhile. */
    public KeyInfo scheduleDeletion(String name, Duration waitingPeriod) {
        if (waitingPeriod.isNegative()) {
            throw new IllegalArgumentException("the waiting period must not be negative");
        }
        return mutate(ks -> {
            StoredKey k = find(ks, name);
            requireState(k, "schedule deletion of", KeyState.ENABLED, KeyState.DISABLED);
            k.state = KeyState.PENDING_DELETION;
            k.deletionDate = options.clock().instant().plus(waitingPeriod);
            return k;
        });
    }

    /** Cancels a scheduled deletion; the key comes back disabled, as with AWS KMS, so re-enabling is deliberate. */
    public KeyInfo cancelDeletion(String name) {
        return mutate(ks -> {
            StoredKey k = find(ks, name);
            requireState(k, "cancel deletion of", KeyState.PENDING_DELETION);
            k.state = KeyState.DISABLED;
            k.deletionDate = null;
            return k;
        });
    }

    /**
     * Destroys a key scheduled for deletion now, without waiting for its date: every version's
     * material is wiped, and data wrapped under it is gone for good. Refused for keys not scheduled
     * for deletion, so that destruction always takes two deliberate steps.
     */
    public KeyInfo destroy(String name) {
        return mutate(ks -> {
            StoredKey k = find(ks, name);
            requireState(k, "destroy", KeyState.PENDING_DELETION);
            k.destroy();
            return k;
        });
    }

    // ---- the KMS SPI ------------------------------------------------------------------------

    @Override
    protected GeneratedDek generateBlocking(String keyId, EncryptionContext context) {
        return generateByWrapping(keyId, context);
    }

    /** Wraps the caller's key exactly as {@link #generateBlocking} wraps a new one (a re-key moves cluster keys this way). */
    @Override
    protected WrappedKey wrapBlocking(String keyId, DataKey key, EncryptionContext context) {
        Objects.requireNonNull(context, "context");
        return read(ks -> seal(ks, keyId, key, context));
    }

    private static WrappedKey seal(Map<String, StoredKey> ks, String keyId, DataKey key, EncryptionContext context) {
        StoredKey k = usable(ks, keyId);
        StoredKey.Version v = k.versions.get(k.currentVersion());
        byte[] sealed = key.withKeyBytes(b -> Aead.seal(v.material, b, edekAad(k.name, v.number, context)));
        byte[] edek = new byte[1 + sealed.length];
        edek[0] = EDEK_VERSION;
        System.arraycopy(sealed, 0, edek, 1, sealed.length);
        return new WrappedKey(new KekRef(KIND, k.name, Integer.toString(v.number)), edek);
    }

    @Override
    protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
        Objects.requireNonNull(kek, "kek");
        Objects.requireNonNull(edek, "edek");
        Objects.requireNonNull(context, "context");
        if (!KIND.equals(kek.provider())) {
            throw new IllegalArgumentException("this DEK was wrapped by a '" + kek.provider() + "' KMS, not the local KMS");
        }
        return read(ks -> {
            StoredKey k = usable(ks, kek.keyId());
            StoredKey.Version v;
            try {
                v = k.versions.get(Integer.parseInt(kek.keyVersion()));
            } catch (NumberFormatException e) {
                v = null;
            }
            if (v == null) {
                throw new KmsDeniedException(Reason.INVALID_KEY, "local key '" + k.name + "' has no version '" + kek.keyVersion() + "'");
            }
            if (v.material == null) {
                throw new KmsDeniedException(Reason.DESTROYED, "version " + v.number + " of local key '" + k.name + "' is destroyed");
            }
            if (edek.length < 1 || (edek[0] != EDEK_VERSION && edek[0] != EDEK_VERSION_UNBOUND)) {
                throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "not a local KMS wrapped key (unknown format)");
            }
            Aad aad = edek[0] == EDEK_VERSION ? edekAad(k.name, v.number, context) : edekAad(k.name, v.number);
            byte[] sealed = java.util.Arrays.copyOfRange(edek, 1, edek.length);
            try {
                return DataKey.fromBytesWipingSource(Aead.open(v.material, sealed, aad));
            } catch (CryptoException | IllegalArgumentException e) {
                throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "the wrapped key was not produced by version " + v.number
                        + " of local key '" + k.name + "' for this encryption context (or was modified)");
            }
        });
    }

    /** That {@code keyId} exists and is enabled (blocking); no round trip: nothing but this process holds the material. */
    public void checkUsable(String keyId) {
        read(ks -> usable(ks, keyId));
    }

    @Override
    protected void closeBlocking() {
        synchronized (monitor) {
            if (!closed) {
                closed = true;
                if (keys != null) {
                    keys.values().forEach(StoredKey::destroy);
                }
                master.destroy();
            }
        }
    }

    // ---- internals ---------------------------------------------------------------------------

    private static Aad edekAad(String name, int version) {
        return Aad.ofParts("keyhold-local-kms/v1/dek", name, Integer.toString(version));
    }

    private static Aad edekAad(String name, int version, EncryptionContext context) {
        return Aad.ofParts("keyhold-local-kms/v2/dek", name, Integer.toString(version),
                java.util.Base64.getEncoder().encodeToString(context.canonicalBytes()));
    }

    private KeyInfo transition(String name, String verb, KeyState to, KeyState... from) {
        return mutate(ks -> {
            StoredKey k = find(ks, name);
            requireState(k, verb, from);
            k.state = to;
            return k;
        });
    }

    private static void requireState(StoredKey k, String verb, KeyState... allowed) {
        for (KeyState s : allowed) {
            if (k.state == s) {
                return;
            }
        }
        throw new LocalKmsException(Kind.INVALID_STATE, "cannot " + verb + " local key '" + k.name + "': it is "
                + k.state.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
    }

    private static StoredKey find(Map<String, StoredKey> ks, String name) {
        StoredKey k = ks.get(name);
        if (k == null) {
            throw new KmsDeniedException(Reason.NOT_FOUND, "no local key named '" + name + "'");
        }
        return k;
    }

    private static StoredKey usable(Map<String, StoredKey> ks, String name) {
        StoredKey k = find(ks, name);
        switch (k.state) {
            case ENABLED:
                return k;
            case DISABLED:
                throw new KmsDeniedException(Reason.DISABLED, "local key '" + name + "' is disabled");
            case PENDING_DELETION:
                throw new KmsDeniedException(Reason.PENDING_DELETION, "local key '" + name + "' is scheduled for deletion on " + k.deletionDate);
            default:
                throw new KmsDeniedException(Reason.DESTROYED, "local key '" + name + "' is destroyed");
        }
    }

    private KeyInfo info(StoredKey k) {
        return new KeyInfo(k.name, k.state, ALGORITHM, REGION, Integer.toString(k.currentVersion()),
                k.state == KeyState.ENABLED, k.createdAt, k.deletionDate);
    }

    private <T> T read(Function<Map<String, StoredKey>, T> fn) {
        synchronized (monitor) {
            ensureOpen();
            reloadIfChanged();
            if (hasLapsedDeletions()) {
                mutate(ks -> null);
            }
            return fn.apply(keys);
        }
    }

    private KeyInfo mutate(Function<Map<String, StoredKey>, StoredKey> change) {
        synchronized (monitor) {
            ensureOpen();
            try (FileLock ignored = lock(lockFile)) {
                reloadIfChanged();
                destroyLapsed();
                StoredKey changed = change.apply(keys);
                StoreFile.write(storeFile, protection, master, keys);
                fingerprint = fingerprint();
                return changed == null ? null : info(changed);
            } catch (IOException e) {
                throw new LocalKmsException(Kind.STORE_IO, "cannot lock the local KMS store " + storeFile + ": " + e.getMessage());
            } catch (RuntimeException e) {
                // The in-memory view may be half-changed: drop it so the next call re-reads the file.
                fingerprint = null;
                throw e;
            }
        }
    }

    private boolean hasLapsedDeletions() {
        Instant now = options.clock().instant();
        return keys.values().stream().anyMatch(k -> k.state == KeyState.PENDING_DELETION && !now.isBefore(k.deletionDate));
    }

    private void destroyLapsed() {
        Instant now = options.clock().instant();
        for (StoredKey k : keys.values()) {
            if (k.state == KeyState.PENDING_DELETION && !now.isBefore(k.deletionDate)) {
                LOG.info("Local key '{}' reached its deletion date {} and is now destroyed", k.name, k.deletionDate);
                k.destroy();
            }
        }
    }

    /** Re-reads the store when another process (or another instance) has replaced the file. */
    private void reloadIfChanged() {
        Object now = fingerprint();
        if (keys != null && now.equals(fingerprint)) {
            return;
        }
        Map<String, StoredKey> fresh = StoreFile.readKeys(storeFile, master);
        if (keys != null) {
            keys.values().forEach(StoredKey::destroy);
        }
        keys = fresh;
        fingerprint = now;
    }

    private Object fingerprint() {
        try {
            BasicFileAttributes a = Files.readAttributes(storeFile, BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.lastModifiedTime(), a.size());
        } catch (IOException e) {
            throw new LocalKmsException(Kind.STORE_IO, "cannot read the local KMS store " + storeFile + ": " + e.getMessage());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the local KMS has been closed");
        }
    }

    private static FileLock lock(Path lockFile) throws IOException {
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.lock();
            return new ClosingLock(ch, lock);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A file lock that also closes its channel. */
    private static final class ClosingLock extends FileLock {
        private final FileLock inner;

        ClosingLock(FileChannel ch, FileLock inner) {
            super(ch, inner.position(), inner.size(), inner.isShared());
            this.inner = inner;
        }

        @Override
        public boolean isValid() {
            return inner.isValid();
        }

        @Override
        public void release() throws IOException {
            try {
                inner.release();
            } finally {
                channel().close();
            }
        }
    }
}
