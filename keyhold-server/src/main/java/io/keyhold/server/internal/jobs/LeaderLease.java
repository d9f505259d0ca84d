package io.keyhold.server.internal.jobs;

import io.keyhold.server.internal.db.Sql;

/**
 * The row of {@code leader_lease} that says which server runs the background jobs. A server holds
 * it until {@code expires_at}; it extends it while it lives, and another server takes it only once
 * it has expired. Each call is one conditional statement, so two servers racing for an expired lease
 * cannot both win: the database serializes the updates and the second finds the row taken.
 */
final class LeaderLease {
    static final String JOBS = "background-jobs";

    private final Sql sql;
    private final String name;

    LeaderLease(Sql sql, String name) {
        this.sql = sql;
        this.name = name;
    }

    /**
     * Takes or extends the lease for {@code holder} until {@code now + ttlMillis}: succeeds when the
     * lease is free, expired, or already {@code holder}'s.
     */
    boolean acquireOrRenew(String holder, long now, long ttlMillis) {
        int updated = sql.update("UPDATE leader_lease SET holder = ?, expires_at = ?, "
                        + "acquired_at = CASE WHEN holder = ? THEN acquired_at ELSE ? END "
                        + "WHERE name = ? AND (holder = ? OR expires_at < ?)",
                holder, now + ttlMillis, holder, now, name, holder, now);
        if (updated == 1) {
            return true;
        }
        if (sql.count("SELECT COUNT(*) FROM leader_lease WHERE name = ?", name) > 0) {
            return false; // held by a live server
        }
        try {
            sql.update("INSERT INTO leader_lease (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?)",
                    name, holder, now + ttlMillis, now);
            return true;
        } catch (Sql.DataAccessException e) {
            if (e.isConstraintViolation()) {
                return false; // another server inserted it first
            }
            throw e;
        }
    }

    /** Gives the lease up at once (a clean stop), so another server need not wait for it to expire. */
    void release(String holder) {
        sql.update("DELETE FROM leader_lease WHERE name = ? AND holder = ?", name, holder);
    }

    /** The current holder, expired or not, or null. */
    String holder() {
        return sql.one("SELECT holder FROM leader_lease WHERE name = ?", rs -> rs.getString(1), name).orElse(null);
    }
}
