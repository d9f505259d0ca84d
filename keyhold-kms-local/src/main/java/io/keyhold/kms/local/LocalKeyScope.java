package io.keyhold.kms.local;

import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.local.LocalKmsException.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One tenant's part of a shared local KMS store. The tenant types and sees short names; the store
 * holds them as {@code <scope>/<name>}, so that tenants can neither see nor name each other's keys,
 * and two tenants may both have a key {@code orders}. Another scope's key, or a name that is not
 * this scope's, is {@link Reason#NOT_FOUND}, exactly like a key that does not exist.
 *
 * <p>Keys without a scope come from before scopes existed (or from an operator using the store
 * files): they belong to the one tenant created with {@code ownsUnscoped}, which sees them under
 * their own names as long as it has no scoped key of the same name.
 *
 * <p>Automatic keys ({@value #AUTOMATIC_PREFIX}{@code <cluster>}: the keys Keyhold makes for
 * clusters without a customer key) are the platform's, not the tenant's: they are not listed, can
 * not be read or changed through a scope, and their names can not be taken.
 */
public final class LocalKeyScope {
    /** Names of the keys Keyhold makes for clusters with automatic encryption. */
    public static final String AUTOMATIC_PREFIX = "keyhold-auto-";
    private static final Pattern PART = Pattern.compile(LocalKms.NAME_PART);

    private final LocalKms kms;
    private final String scope;
    private final boolean ownsUnscoped;

    /**
     * @param scope        the tenant's scope, e.g. an organization id (letters, digits, '.', '_', '-')
     * @param ownsUnscoped whether the keys without a scope are this tenant's
     */
    public LocalKeyScope(LocalKms kms, String scope, boolean ownsUnscoped) {
        if (scope == null || !PART.matcher(scope).matches()) {
            throw new IllegalArgumentException("invalid local KMS scope '" + scope + "'");
        }
        this.kms = kms;
        this.scope = scope;
        this.ownsUnscoped = ownsUnscoped;
    }

    /** The store name of the key {@code name} of {@code scope}. */
    public static String scopedName(String scope, String name) {
        return scope + "/" + name;
    }

    /** The store name of an automatic cluster key: inside the cluster's tenant's scope. */
    public static String automaticKeyName(String scope, String clusterId) {
        return scopedName(scope, AUTOMATIC_PREFIX + clusterId);
    }

    /** The store name automatic keys had before scopes existed; clusters created then keep using it. */
    public static String unscopedAutomaticKeyName(String clusterId) {
        return AUTOMATIC_PREFIX + clusterId;
    }

    /**
     * The store name the short name {@code name} stands for in this scope: the tenant's own
     * unscoped key of that name when it has one (and no scoped one), else the scoped name, whether
     * or not that key exists yet. Empty for a name no key of this scope can have (a bad name, an
     * automatic key's name).
     */
    public java.util.Optional<String> storeName(String name) {
        if (!isTenantName(name)) {
            return java.util.Optional.empty();
        }
        String scoped = scoped(name);
        if (ownsUnscoped && !kms.exists(scoped) && kms.exists(name)) {
            return java.util.Optional.of(name);
        }
        return java.util.Optional.of(scoped);
    }

    /** Creates the scope's key {@code name} (stored as {@code <scope>/<name>}). */
    public KeyInfo create(String name) {
        if (name == null || !PART.matcher(name).matches()) {
            throw new LocalKmsException(Kind.INVALID_NAME, "invalid key name '" + name
                    + "': use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (name.startsWith(AUTOMATIC_PREFIX)) {
            throw new LocalKmsException(Kind.INVALID_NAME, "invalid key name '" + name + "': names starting with '"
                    + AUTOMATIC_PREFIX + "' are reserved for the keys Keyhold makes for clusters with automatic encryption");
        }
        if (ownsUnscoped && kms.exists(name)) {
            throw new LocalKmsException(Kind.NAME_TAKEN, "a key named '" + name + "' already exists (names are never reused, "
                    + "even after a key is destroyed): choose another name");
        }
        try {
            return shortened(kms.create(scoped(name)));
        } catch (LocalKmsException e) {
            if (e.kind() == Kind.NAME_TAKEN) {
                throw new LocalKmsException(Kind.NAME_TAKEN, "a key named '" + name + "' already exists (names are never reused, "
                        + "even after a key is destroyed): choose another name");
            }
            throw e;
        }
    }

    /** The scope's keys, under their short names, in store order. */
    public List<KeyInfo> list() {
        List<KeyInfo> all = kms.list();
        Set<String> names = all.stream().map(KeyInfo::keyId).collect(Collectors.toSet());
        List<KeyInfo> out = new ArrayList<>();
        for (KeyInfo k : all) {
            String shortName = shortNameOf(k.keyId());
            // An unscoped key hidden by a scoped one of the same name is not the tenant's "name".
            if (shortName != null && isTenantName(shortName)
                    && (k.keyId().contains("/") || !names.contains(scoped(shortName)))) {
                out.add(rename(k, shortName));
            }
        }
        return out;
    }

    public KeyInfo describeKey(String name) {
        return apply(name, kms::describeKey);
    }

    public KeyInfo rotateKey(String name) {
        return apply(name, kms::rotateKey);
    }

    public KeyInfo disable(String name) {
        return apply(name, kms::disable);
    }

    public KeyInfo enable(String name) {
        return apply(name, kms::enable);
    }

    public KeyInfo scheduleDeletion(String name, Duration waitingPeriod) {
        return apply(name, n -> kms.scheduleDeletion(n, waitingPeriod));
    }

    public KeyInfo cancelDeletion(String name) {
        return apply(name, kms::cancelDeletion);
    }

    public KeyInfo destroy(String name) {
        return apply(name, kms::destroy);
    }

    private KeyInfo apply(String name, Function<String, KeyInfo> op) {
        String storeName = storeName(name).orElseThrow(() -> notFound(name));
        try {
            return rename(op.apply(storeName), name);
        } catch (LocalKmsException e) {
            // The store's messages name the store key; say the tenant's name instead.
            throw new LocalKmsException(e.kind(), e.getMessage().replace("'" + storeName + "'", "'" + name + "'"), e);
        } catch (KmsDeniedException e) {
            if (e.reason() == Reason.NOT_FOUND) {
                throw notFound(name);
            }
            throw new KmsDeniedException(e.reason(), e.getMessage().replace("'" + storeName + "'", "'" + name + "'"));
        }
    }

    /** The short name of a store name in this scope, or null when the key is not this scope's. */
    private String shortNameOf(String storeName) {
        String prefix = scope + "/";
        if (storeName.startsWith(prefix)) {
            return storeName.substring(prefix.length());
        }
        return ownsUnscoped && !storeName.contains("/") ? storeName : null;
    }

    private static boolean isTenantName(String name) {
        return name != null && PART.matcher(name).matches() && !name.startsWith(AUTOMATIC_PREFIX);
    }

    private String scoped(String name) {
        return scopedName(scope, name);
    }

    private KeyInfo shortened(KeyInfo k) {
        return rename(k, shortNameOf(k.keyId()));
    }

    private static KeyInfo rename(KeyInfo k, String name) {
        return new KeyInfo(name, k.state(), k.algorithm(), k.region(), k.currentVersion(), k.rotatable(), k.createdAt(),
                k.deletionDate());
    }

    private static KmsDeniedException notFound(String name) {
        return new KmsDeniedException(Reason.NOT_FOUND, "no local key named '" + name + "'");
    }
}
