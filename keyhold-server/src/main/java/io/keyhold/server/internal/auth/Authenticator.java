package io.keyhold.server.internal.auth;

import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks HTTP Basic credentials (API key id : secret) against the stored slow hash. A successful
 * check is remembered under a keyed digest of the secret (with a random per-process key, never
 * stored) so that repeated requests do not pay for PBKDF2 again. The caller's rights are reloaded
 * from the database at least every minute, so that a revocation on another server takes effect
 * within a minute; deleting a key or changing role bindings on this server drops the cache at once.
 */
public final class Authenticator {
    private static final long CACHE_NANOS = 60_000_000_000L;

    private final Sql sql;
    private final byte[] pepper = new byte[32];
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /** A verified secret (as a keyed digest), the stored hash it matched, and the caller's rights until expiresAt. */
    private record Cached(byte[] digest, String storedHash, Principal principal, long expiresAt) {
    }

    private record KeyRow(String id, String orgId, String ownerId, String hash) {
    }

    public Authenticator(Sql sql) {
        this.sql = sql;
        new SecureRandom().nextBytes(pepper);
    }

    public Principal authenticate(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            throw ApiException.unauthenticated("Valid authentication credentials must be provided");
        }
        String[] creds = parseBasic(authorizationHeader);
        String keyId = creds[0];
        String secret = creds[1];
        byte[] digest = SecretHasher.fastDigest(pepper, secret);
        Cached hit = cache.get(keyId);
        boolean knownSecret = hit != null && MessageDigest.isEqual(hit.digest, digest);
        if (knownSecret && hit.expiresAt - System.nanoTime() > 0) {
            return hit.principal;
        }
        Optional<KeyRow> row = sql.one("SELECT id, org_id, owner_id, secret_hash FROM api_keys WHERE id = ?",
                rs -> new KeyRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)), keyId);
        if (row.isEmpty()) {
            cache.remove(keyId);
            throw ApiException.unauthenticated("The API key or secret is invalid");
        }
        // An expired entry for the same secret and the same stored hash only needs its rights reloaded
        // (cheap); the slow hash runs again only for a secret this server has not verified.
        boolean verified = knownSecret && hit.storedHash.equals(row.get().hash());
        if (!verified && !SecretHasher.verify(secret, row.get().hash())) {
            throw ApiException.unauthenticated("The API key or secret is invalid");
        }
        Principal p = load(row.get());
        cache.put(keyId, new Cached(digest, row.get().hash(), p, System.nanoTime() + CACHE_NANOS));
        return p;
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

    private static String[] parseBasic(String header) {
        String h = header.trim();
        if (h.length() < 6 || !h.regionMatches(true, 0, "Basic ", 0, 6)) {
            throw ApiException.unauthenticated("HTTP Basic authentication with an API key and secret is required");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.unauthenticated("The Authorization header is not valid Basic credentials");
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0 || colon == decoded.length() - 1 || decoded.length() > 1024) {
            throw ApiException.unauthenticated("The Authorization header is not valid Basic credentials");
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }
}
