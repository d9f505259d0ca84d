package io.keyhold.server.internal.auth;

import io.keyhold.server.internal.db.Sql;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How API secrets are stored: {@code hmac-sha256$<server key id>$<HMAC-SHA-256(server key, secret)>}.
 *
 * <p>Why a fast keyed hash and not a slow password hash: the server generates every secret with
 * about 381 random bits ({@code Ids.apiSecret()}), so no amount of hashing work would make guessing
 * one any harder, while a slow hash makes each wrong guess cost the server a fraction of a CPU
 * second. The server key means a copy of the {@code api_keys} table alone is not even enough to test
 * a guess offline. Token systems store their tokens the same way.
 *
 * <p>The key is generated on the first start with this table (32 random bytes) and kept in the
 * database ({@code api_secret_keys}), so that every server on the same database accepts the same
 * secrets and a restored backup keeps working. Hashes name their key, so that a new key can be
 * added later without invalidating the existing hashes.
 */
public final class ApiSecretHashes {
    private static final String PREFIX = "hmac-sha256$";
    private static final String KEY_ID = "v1";
    private static final String ALGORITHM = "HmacSHA256";

    private final String keyId;
    private final SecretKeySpec key;

    /** How a secret compared with a stored hash. */
    enum Match {
        /** The secret is right and stored as it should be. */
        YES,
        /** The secret is right but stored the old way: the caller should store {@link #hash} instead. */
        YES_REHASH,
        NO
    }

    private ApiSecretHashes(String keyId, byte[] key) {
        this.keyId = keyId;
        this.key = new SecretKeySpec(key, ALGORITHM);
    }

    /** The server key from the database, generated and stored on the first start. */
    public static ApiSecretHashes loadOrCreate(Sql sql, long now) {
        Optional<byte[]> existing = load(sql);
        if (existing.isEmpty()) {
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            try {
                sql.update("INSERT INTO api_secret_keys (id, key_base64, created_at) VALUES (?, ?, ?)", KEY_ID,
                        Base64.getEncoder().encodeToString(fresh), now);
            } catch (Sql.DataAccessException e) {
                if (!e.isConstraintViolation()) {
                    throw e;
                }
                // another server on the same database stored its key first: use that one
            }
            existing = load(sql);
        }
        return new ApiSecretHashes(KEY_ID, existing.orElseThrow(() -> new IllegalStateException("the API secret key was not stored")));
    }

    private static Optional<byte[]> load(Sql sql) {
        return sql.one("SELECT key_base64 FROM api_secret_keys WHERE id = ?", rs -> Base64.getDecoder().decode(rs.getString(1)), KEY_ID);
    }

    /** What to store for {@code secret}. */
    public String hash(String secret) {
        return PREFIX + keyId + "$" + Base64.getEncoder().withoutPadding().encodeToString(mac(secret));
    }

    /**
     * Compares in constant time. A hash of an earlier version (PBKDF2) is still accepted, once per
     * key: the caller replaces it by {@link #hash} after the first successful login.
     */
    Match verify(String secret, String stored) {
        if (LegacyPbkdf2Hashes.isLegacy(stored)) {
            return LegacyPbkdf2Hashes.verify(secret, stored) ? Match.YES_REHASH : Match.NO;
        }
        byte[] expected = hash(secret).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, stored.getBytes(StandardCharsets.US_ASCII)) ? Match.YES : Match.NO;
    }

    private byte[] mac(String secret) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available", e);
        }
    }

    @Override
    public String toString() {
        return "ApiSecretHashes[key " + keyId + "]";
    }
}
