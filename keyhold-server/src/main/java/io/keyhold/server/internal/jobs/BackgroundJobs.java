package io.keyhold.server.internal.jobs;

import io.keyhold.server.internal.db.Sql;
import io.keyhold.kms.audit.ProcessName;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's background jobs (key validator, health monitor, release hold, and whatever else
 * must run once per deployment rather than once per server process), run only while this server is
 * the leader. Register each with {@link #every} before {@link #start}; the jobs start when this
 * server becomes the leader and stop when it stops being one.
 *
 * <p>Leadership is a lease in the database ({@link LeaderLease}) that lasts one health interval,
 * renewed every third of it. A server that dies ({@code kill -9}) stops renewing; another takes the
 * lease once it has expired, within 1⅓ intervals. A leader that can not renew (the database is
 * unreachable) stops its jobs when its lease runs out, before anyone else may take it. With the
 * embedded H2 database only one process can open the database at all, so that server simply leads.
 */
public final class BackgroundJobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundJobs.class);

    private record Periodic(String name, Duration initialDelay, Duration interval, Runnable task, ScheduledExecutorService thread) {
    }

    private final LeaderLease lease;
    private final long ttlMillis;
    private final Clock clock;
    private final String holder = ProcessName.of("server") + "/" + HexFormat.of().formatHex(randomBytes());
    private final List<Periodic> jobs = new ArrayList<>();
    private final List<ScheduledFuture<?>> running = new ArrayList<>();
    private final ScheduledExecutorService elector = Executors.newSingleThreadScheduledExecutor(daemon("keyhold-leader-lease"));
    private volatile boolean leader;
    private long leaseValidUntil;
    private boolean started;
    private boolean closed;

    private BackgroundJobs(LeaderLease lease, long ttlMillis, Clock clock) {
        this.lease = lease;
        this.ttlMillis = ttlMillis;
        this.clock = clock;
    }

    /** Jobs that run on whichever server holds the lease in {@code sql}; the lease lasts {@code ttl}. */
    public static BackgroundJobs leased(Sql sql, Duration ttl, Clock clock) {
        return new BackgroundJobs(new LeaderLease(sql, LeaderLease.JOBS), ttl.toMillis(), clock);
    }

    /** Jobs of the only server there can be (the embedded H2 database belongs to one process). */
    public static BackgroundJobs alone(Clock clock) {
        return new BackgroundJobs(null, 0, clock);
    }

    /**
     * Runs {@code task} on a thread of its own, {@code initialDelay} after this server becomes the
     * leader and then with {@code interval} between the end of one run and the start of the next,
     * for as long as it leads. One job never runs twice at once. Register before {@link #start}.
     */
    public synchronized void every(String name, Duration initialDelay, Duration interval, Runnable task) {
        if (started) {
            throw new IllegalStateException("register background jobs before start()");
        }
        jobs.add(new Periodic(name, initialDelay, interval, task, Executors.newSingleThreadScheduledExecutor(daemon("keyhold-" + name))));
    }

    /** Tries for leadership now (so a single server starts its jobs at once), then keeps trying or renewing. */
    public void start() {
        synchronized (this) {
            started = true;
        }
        if (lease == null) {
            gain();
            return;
        }
        tick();
        long period = Math.max(1, ttlMillis / 3);
        elector.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    }

    /** Whether this server runs the background jobs now. */
    public boolean isLeader() {
        return leader;
    }

    /** This server's name in the lease. */
    public String holder() {
        return holder;
    }

    private void tick() {
        long now = clock.millis();
        boolean held;
        try {
            held = lease.acquireOrRenew(holder, now, ttlMillis);
        } catch (RuntimeException e) {
            // The database may come back before the lease runs out; no other server can take it before then.
            LOG.warn("cannot renew the background jobs' lease: {}", e.toString());
            if (leader && clock.millis() >= leaseValidUntil) {
                LOG.warn("the lease expired: this server stops its background jobs until it can lead again");
                lose();
            }
            return;
        }
        if (held) {
            leaseValidUntil = now + ttlMillis;
            if (!leader) {
                gain();
            }
        } else if (leader) {
            LOG.warn("another server took the background jobs' lease: this server stops its background jobs");
            lose();
        }
    }

    private synchronized void gain() {
        if (closed || leader) {
            return;
        }
        leader = true;
        LOG.info("this server ({}) runs the background jobs", holder);
        for (Periodic j : jobs) {
            running.add(j.thread().scheduleWithFixedDelay(() -> run(j), j.initialDelay().toMillis(), j.interval().toMillis(),
                    TimeUnit.MILLISECONDS));
        }
    }

    private synchronized void lose() {
        leader = false;
        running.forEach(f -> f.cancel(false)); // a run under way finishes; no new one starts
        running.clear();
    }

    private void run(Periodic j) {
        if (!leader) {
            return;
        }
        try {
            j.task().run();
        } catch (RuntimeException e) {
            LOG.warn("background job {} failed: {}", j.name(), e.toString());
        }
    }

    /** Stops the jobs and gives the lease up, so that another server takes over at once. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        elector.shutdownNow();
        boolean wasLeader = leader;
        lose();
        for (Periodic j : jobs) {
            j.thread().shutdownNow();
        }
        for (Periodic j : jobs) {
            try {
                j.thread().awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (lease != null && wasLeader) {
            try {
                lease.release(holder);
            } catch (RuntimeException e) {
                LOG.warn("cannot give up the background jobs' lease (it expires by itself): {}", e.toString());
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
