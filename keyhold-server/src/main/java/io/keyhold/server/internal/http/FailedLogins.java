package io.keyhold.server.internal.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Limits failed logins per client address and per API key id, checked before the secret is looked
 * at: over the limit, a login is refused (429) without touching the database or the hash, even with
 * the right secret, until the window ends. Each login holds one unit of both budgets while it runs
 * (so parallel guesses cannot overshoot the limit) and gives them back when it succeeds: only
 * failures count.
 *
 * <p>Addresses are the TCP peer, never a forwarded-for header (which the client chooses). IPv6
 * clients are counted per /64, the block one host usually gets. The limit per key id means that
 * someone who knows a key id can keep that key from logging in by failing on purpose; that is the
 * price of stopping guesses spread over many addresses, and it ends with the window.
 */
public final class FailedLogins {
    private final RateLimiter limiter;

    public FailedLogins(int limit, Duration window, Clock clock) {
        this.limiter = new RateLimiter(limit, window.toMillis(), clock);
    }

    /** A login in progress: holds its units until {@link #succeeded()} gives them back. */
    public final class Attempt {
        private final List<String> callers;
        private final RateLimiter.Decision decision;

        private Attempt(List<String> callers, RateLimiter.Decision decision) {
            this.callers = callers;
            this.decision = decision;
        }

        /** False: refuse the login, without checking it. */
        public boolean allowed() {
            return decision.allowed();
        }

        /** What is left of the smaller budget, this attempt counted as a failure; the limit; seconds to its reset. */
        public RateLimiter.Decision decision() {
            return decision;
        }

        /** The login was right, or failed for another reason than the credentials: it does not count. */
        public void succeeded() {
            if (decision.allowed()) {
                callers.forEach(limiter::release);
            }
        }
    }

    /** Starts a login from {@code clientAddress} (an IP literal) for {@code keyId}. */
    public Attempt begin(String clientAddress, String keyId) {
        List<String> callers = List.of("address:" + addressBlock(clientAddress), "key:" + keyId);
        return new Attempt(callers, limiter.acquireAll(callers));
    }

    /** Drops ended windows; called periodically. */
    public void sweep() {
        limiter.sweep();
    }

    /** IPv4 addresses as they are; IPv6 addresses as their /64. */
    static String addressBlock(String ip) {
        if (ip == null || ip.indexOf(':') < 0) {
            return String.valueOf(ip);
        }
        try {
            InetAddress a = InetAddress.getByName(ip.startsWith("[") ? ip.substring(1, ip.length() - 1) : ip); // a literal: no lookup
            if (a instanceof Inet6Address) {
                byte[] b = a.getAddress();
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 8; i += 2) {
                    sb.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
                }
                return sb.append(":/64").toString();
            }
            return a.getHostAddress(); // an IPv4-mapped IPv6 address
        } catch (UnknownHostException e) {
            return ip;
        }
    }
}
