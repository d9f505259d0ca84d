package io.keyhold.server.internal.auth;

import io.keyhold.server.internal.auth.ApiSecretHashes.Match;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.util.Ids;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks an API key id and secret against the stored hash ({@link ApiSecretHashes}: an HMAC, so a
 * check costs microseconds). A successful check is remembered with the caller's rights, so that
 * repeated requests need no database query; the rights are reloaded from the database at least
 * every minute, so that a revocation on another server takes effect within a minute; deleting a key
 * or changing role bindings on this server drops the cache at once.
 *
 * <p>A wrong secret and an unknown key id take the same path (one database lookup, one HMAC and a
 * constant-time comparison, against a dummy hash when there is no such key), so response times do
 * not tell which key ids exist. Limiting failed logins is the HTTP layer's job and happens before
 * this class is called.
 */
public final class Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
    private static final long CACHE_NANOS = 60_000_000_000L;

    private final Sql sql;
    private final ApiSecretHashes hashes;
    /** Compared against when the key id does not exist, so that this costs what a wrong secret costs. */
    private final String dummyHash;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** A verified key: the stored hash its secret matched, and the caller's rights until expiresAt. */
    private record Cached(String storedHash, Principal principal, long expiresAt) {
    }

    private record KeyRow(String id, String orgId, String ownerId, String hash) {
    }

    public Authenticator(Sql sql, ApiSecretHashes hashes) {
        this.sql = sql;
        this.hashes = hashes;
        this.dummyHash = hashes.hash(Ids.apiSecret());
    }

    /** What to store for a new API key's secret. */
    public String hashSecret(String secret) {
        return hashes.hash(secret);
    }

    /** The caller, or 401 when the key does not exist or the secret is wrong. */
    public Principal authenticate(Credentials creds) {
        Cached hit = cache.get(creds.keyId());
        if (hit != null && hit.expiresAt - System.nanoTime() > 0 && hashes.verify(creds.secret(), hit.storedHash) == Match.YES) {
            return hit.principal;
        }
        // Not verified recently, or a wrong secret: the same work whether or not the key exists.
        Optional<KeyRow> row = sql.one("SELECT id, org_id, owner_id, secret_hash FROM api_keys WHERE id = ?",
                rs -> new KeyRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)), creds.keyId());
        Match match = hashes.verify(creds.secret(), row.map(KeyRow::hash).orElse(dummyHash));
        if (row.isEmpty() || match == Match.NO) {
            throw ApiException.unauthenticated("The API key or secret is invalid");
        }
        String stored = row.get().hash();
        if (match == Match.YES_REHASH) {
            stored = rehash(row.get(), creds.secret());
        }
        Principal p = load(row.get());
        cache.put(creds.keyId(), new Cached(stored, p, System.nanoTime() + CACHE_NANOS));
        return p;
    }

    /**
     * Replaces a hash of an earlier version by the current kind, once the secret was proven right.
     * Only if the row still holds the old hash: a concurrent login may have done it already.
     */
    private String rehash(KeyRow key, String secret) {
        String fresh = hashes.hash(secret);
        int updated = sql.update("UPDATE api_keys SET secret_hash = ? WHERE id = ? AND secret_hash = ?", fresh, key.id(), key.hash());
        if (updated == 1) {
            LOG.info("API key {}: secret hash upgraded from PBKDF2 to HMAC-SHA-256", key.id());
        }
        return fresh;
    }

    /** Forgets every cached check: called whenever keys, accounts or role bindings change. */
    public void invalidate() {
        cache.clear();
    }

    private Principal load(KeyRow key) {
        record Binding(String role, String env) {
        }
        List<Binding> bindings = sql.query("SELECT role_name, environment_id FROM role_bindings WHERE principal_id = ?",
                rs -> new Binding(rs.getString(1), rs.getString(2)), key.ownerId());
        boolean orgAdmin = false;
        boolean readOnly = false;
        Set<String> envs = new HashSet<>();
        for (Binding b : bindings) {
            Role role = Role.parse(b.role()).orElse(null);
            if (role == Role.OrganizationAdmin) {
                orgAdmin = true;
            } else if (role == Role.ReadOnly) {
                readOnly = true;
            } else if (role == Role.EnvironmentAdmin && b.env() != null) {
                envs.add(b.env());
            }
        }
        return new Principal(key.id(), key.ownerId(), key.orgId(), orgAdmin, readOnly, Set.copyOf(envs));
    }
}
