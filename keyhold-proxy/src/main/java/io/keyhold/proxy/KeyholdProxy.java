package io.keyhold.proxy;

import io.keyhold.crypto.ClusterKey;
import io.keyhold.crypto.ClusterKeyDeks;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DecryptionDekCache;
import io.keyhold.crypto.DekSource;
import io.keyhold.crypto.DekUnwrapper;
import io.keyhold.crypto.EncryptionDekCache;
import io.keyhold.crypto.EnvelopeDecryptor;
import io.keyhold.crypto.EnvelopeEncryptor;
import io.keyhold.crypto.ForeignKekException;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekPolicy;
import io.keyhold.kms.KeyWatch;
import io.keyhold.kms.Kms;
import io.keyhold.proxy.internal.ClusterKeyStore;
import io.keyhold.proxy.internal.ProxyCounters;
import io.keyhold.proxy.internal.ProxyRuntime;
import io.keyhold.proxy.internal.ProxyServer;
import io.keyhold.proxy.internal.RecordEncryption;
import io.keyhold.proxy.internal.UpstreamSaslState;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An encrypting Kafka proxy in front of one cluster. Clients connect to {@link #bootstrapAddress()}
 * and stay on the proxy; record values and headers are encrypted on produce and decrypted on fetch
 * with DEKs from the cluster's KMS key. See {@code docs/PROXY.md}.
 *
 * <p>A proxy decrypts only records under its own cluster's key: KEK {@link ProxyConfig#kekId()}
 * of its KMS's kind, any version. A record under any other KEK fails its partition's fetch without
 * the KMS being asked, even when the KMS could unwrap it (a Kafka cluster still holding another
 * Keyhold cluster's topics). Each proxy has DEK caches of its own; they are never shared.
 *
 * <pre>{@code
 * try (KeyholdProxy proxy = KeyholdProxy.start(config, kms)) {
 *     ... clients use proxy.bootstrapAddress() ...
 *     proxy.lock();   // key revoked: refuse produce/fetch, drop every DEK
 *     proxy.unlock(); // key usable again
 * }
 * }</pre>
 */
public final class KeyholdProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyholdProxy.class);

    private final ProxyConfig config;
    private final EncryptionDekCache encryptionDeks;
    private final DecryptionDekCache decryptionDeks;
    private final ProxyCounters counters = new ProxyCounters();
    private final ProxyMetrics metrics;
    private final ProxyServer server;
    /** The cluster keys, when record DEKs derive from them ({@link ProxyConfig#clusterKeys()}), else null. */
    private final ClusterKeyStore clusterKeys;
    private volatile boolean locked;
    private volatile KeyWatch.Status kmsHealth;
    /** The KMS connection the proxy was started with (null: a bare DEK source), told to {@link Kms#forget} the key at a lock. */
    private final Kms kms;

    private KeyholdProxy(ProxyConfig config, String kmsKind, DekSource dekSource, DekUnwrapper unwrapper, int workerThreads,
                         Kms kms) {
        this.config = config;
        this.kms = kms;
        KekPolicy ownKey = KekPolicy.onlyKey(kmsKind, config.kekId(), "this cluster's key");
        KekPolicy opens = ownKey;
        DekSource newDeks = ownKeyOnly(dekSource, ownKey);
        DekUnwrapper oldDeks = unwrapper;
        if (config.clusterKeys() != null) {
            // The store checks that each cluster key is wrapped under the cluster's KMS key; records
            // under a cluster key name it by id, found only in this cluster's part of the key topic.
            this.clusterKeys = new ClusterKeyStore(config, kms, ownKey, config.clusterKeys());
            ClusterKeyDeks derived = new ClusterKeyDeks(clusterKeys, unwrapper);
            newDeks = derived;
            oldDeks = derived;
            opens = ownKey.andAnyKeyOf(ClusterKey.PROVIDER);
        } else {
            this.clusterKeys = null;
        }
        this.encryptionDeks = new EncryptionDekCache(newDeks, config.dekRotation(),
                config.limits().maxEncryptionDeks(), config.limits().encryptionDekIdle());
        this.decryptionDeks = new DecryptionDekCache(oldDeks, opens, config.decryptionCacheSize(), config.decryptionCacheTtl());
        this.metrics = new ProxyMetrics(config.clusterId(), counters, () -> locked, encryptionDeks::size, decryptionDeks::size,
                () -> kmsHealth);
        RecordEncryption encryption = new RecordEncryption(new EnvelopeEncryptor(encryptionDeks),
                new EnvelopeDecryptor(decryptionDeks), config.kekId(), config.clusterId(), config.unencryptedRecords(),
                config.limits().maxDecompressedBytes(), config.limits().maxEncryptionDeks(), counters);
        UpstreamSaslState sasl = new UpstreamSaslState(config.clusterId(), config.upstreamSasl());
        this.server = new ProxyServer(config, workerThreads, parts -> new ProxyRuntime(config, encryption, counters,
                parts.clientSsl(), parts.upstreamSsl(), parts.brokerPorts(), sasl, () -> locked));
        // Idle and expired DEKs of both caches are wiped even when nothing else happens (a topic nobody
        // uses any more): at most a quarter of the shorter lifetime late.
        long sweep = Math.max(1, Math.min(config.limits().encryptionDekIdle().toMillis(), config.decryptionCacheTtl().toMillis()) / 4);
        server.workers().next().scheduleAtFixedRate(this::sweepDeks, sweep, sweep, TimeUnit.MILLISECONDS);
        LOG.info("cluster {}: proxy listening on {} for upstream {}", config.clusterId(), server.bootstrapAddress(),
                config.upstreamBootstrap());
    }

    /**
     * Starts a proxy for the cluster's key {@code config.kekId()} in {@code kms} (ideally wrapped in
     * {@code ResilientKms}), which stays owned by the caller. Records are decrypted only when their
     * KEK is that key ({@link Kms#kind()} and key id, any version). KMS calls never run on the
     * proxy's event loops: a request that needs a DEK waits, parked, for at most
     * {@link ProxyConfig#kmsWait()} while the loop serves other connections.
     */
    public static KeyholdProxy start(ProxyConfig config, Kms kms) {
        Objects.requireNonNull(kms, "kms");
        return new KeyholdProxy(Objects.requireNonNull(config, "config"), kms.kind(), kms, kms,
                Math.max(1, Runtime.getRuntime().availableProcessors()), kms);
    }

    /** As {@link #start(ProxyConfig, Kms)} with {@code workerThreads} event loops. */
    public static KeyholdProxy start(ProxyConfig config, Kms kms, int workerThreads) {
        Objects.requireNonNull(kms, "kms");
        return new KeyholdProxy(Objects.requireNonNull(config, "config"), kms.kind(), kms, kms, workerThreads, kms);
    }

    /**
     * Starts a proxy with separate DEK source and unwrapper and {@code workerThreads} event loops.
     * {@code kmsKind} is the {@link io.keyhold.crypto.KekRef#provider()} the DEK source writes: with
     * {@code config.kekId()} it names the only KEK whose records this proxy decrypts.
     */
    public static KeyholdProxy start(ProxyConfig config, String kmsKind, DekSource dekSource, DekUnwrapper unwrapper,
                                     int workerThreads) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(kmsKind, "kmsKind");
        if (config.clusterKeys() != null) {
            throw new IllegalArgumentException("cluster keys need a Kms: use start(config, kms)");
        }
        return new KeyholdProxy(config, kmsKind, Objects.requireNonNull(dekSource, "dekSource"),
                Objects.requireNonNull(unwrapper, "unwrapper"), workerThreads, null);
    }

    /**
     * New DEKs must be under the proxy's own key: if the KMS named the key differently (another id,
     * another kind), records written under it would be refused on fetch, so refuse the produce instead.
     */
    private static DekSource ownKeyOnly(DekSource source, KekPolicy ownKey) {
        return (kekId, context) -> source.generate(kekId, context).thenApply(g -> {
            try {
                ownKey.check(g.kek());
            } catch (ForeignKekException e) {
                g.dek().destroy();
                throw new CryptoException("refusing a new DEK from the KMS: it is " + e.getMessage()
                        + ", so this proxy could not decrypt records under it");
            }
            return g;
        });
    }

    /** Where clients connect (the advertised host and the bound bootstrap port). */
    public InetSocketAddress bootstrapAddress() {
        return server.bootstrapAddress();
    }

    /** {@code host:port} for a client's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapAddress().getHostString() + ":" + bootstrapAddress().getPort();
    }

    public ProxyConfig config() {
        return config;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    /** How long {@link #lock()} waits, in all, for the event loops to confirm that they hold no DEK. */
    static final Duration LOCK_CONFIRMATION_WAIT = Duration.ofSeconds(10);

    /**
     * Locks the cluster: from now on produce and fetch are answered with an authorization error, and
     * every plaintext DEK is wiped.
     *
     * <p>Every DEK in the caches is wiped at once; one that a request is using right then (on an
     * event loop) is wiped when that request lets go of it, and one whose KMS call is under way when
     * it arrives. To know that this has happened, the purge runs again on every event loop, after
     * whatever the loop is running: once it has run everywhere, no request that began before the
     * lock holds a DEK, and none that began after it gets one. Returns true when every loop has
     * confirmed that within {@link #LOCK_CONFIRMATION_WAIT} (usually milliseconds).
     *
     * <p>Returns false, logging an error, when some loop has not: it is stuck in something that does
     * not end (a bug; the proxy never waits on a loop). The cluster is locked all the same: every
     * other loop refuses produce and fetch, the stuck loop's purge is queued behind what it is
     * running and wipes its DEKs the moment it gets there, and nothing it finishes afterwards gets a
     * new DEK. Safe to call from any thread, an event loop of this proxy's included.
     */
    public boolean lock() {
        locked = true;
        purgeDeks();
        // What the provider itself holds of the key (a KMIP 1.1 fetched key). With cluster keys, the
        // store knows the key they are wrapped under now (a re-key changes it).
        if (clusterKeys != null) {
            clusterKeys.forgetKek();
        } else if (kms != null) {
            kms.forget(config.kekId());
        }
        long deadline = System.nanoTime() + LOCK_CONFIRMATION_WAIT.toNanos();
        List<Future<?>> confirmations = new ArrayList<>();
        for (EventExecutor loop : server.workers()) {
            if (loop.inEventLoop()) {
                purgeDeks(); // this very loop: nothing else runs on it meanwhile
            } else {
                confirmations.add(loop.submit(this::purgeDeks));
            }
        }
        int unconfirmed = 0;
        for (Future<?> f : confirmations) {
            long left = deadline - System.nanoTime();
            if (!f.awaitUninterruptibly(Math.max(0, left), TimeUnit.NANOSECONDS) || !f.isSuccess()) {
                unconfirmed++;
            }
        }
        if (unconfirmed > 0) {
            LOG.error("cluster {}: locked (produce and fetch refused), but {} of {} event loops did not confirm within {} s that"
                            + " they hold no DEK: they are stuck in something that does not end; {} DEKs are still in the caches."
                            + " Their purge is queued behind it and wipes what they hold as soon as they get there",
                    config.clusterId(), unconfirmed, confirmations.size(), LOCK_CONFIRMATION_WAIT.toSeconds(), dekCount());
            return false;
        }
        LOG.warn("cluster {}: locked; produce and fetch refused, DEKs purged", config.clusterId());
        return true;
    }

    /** This proxy's event loops (tests). */
    io.netty.channel.EventLoopGroup eventLoops() {
        return server.workers();
    }

    /**
     * The cluster's key has a new version (rotated, or the alias moved): the encryption DEKs in
     * service are retired and wiped, so new records get DEKs wrapped under the new version (with
     * cluster keys: DEKs derived from a new cluster key wrapped under the new version).
     * Decryption DEKs stay: records written before still read without asking the KMS again.
     */
    public void retireEncryptionDeks() {
        if (clusterKeys != null) {
            // With cluster keys the KMS wraps only them: a new one under the new version becomes the
            // current one (before the purge, so no DEK derived after it comes from the old one).
            clusterKeys.startNewKey().whenComplete((k, err) -> {
                if (err != null) {
                    LOG.warn("cluster {}: no new cluster key under the key's new version yet ({}); the current one keeps serving",
                            config.clusterId(), err.getMessage());
                }
            });
        }
        encryptionDeks.purge();
        LOG.info("cluster {}: the key has a new version; new DEKs will be wrapped under it", config.clusterId());
    }

    /**
     * Moves the cluster onto another KMS key, online and without rewriting records (cluster keys
     * only): every cluster key is re-wrapped under {@code newKekId} by {@code newKms} and stored in
     * the key topic, read back, and from then on this proxy reads cluster keys only under the new
     * key and wraps new ones under it. The stage fails, leaving the proxy on its old key, if any
     * step does (see {@code ClusterKeyStore.rekey}). Records whose DEKs the old KMS key wrapped
     * itself (written without cluster keys) still need the old key.
     *
     * @return how many cluster keys the cluster has, all now under the new key
     */
    public java.util.concurrent.CompletableFuture<Integer> rekey(String newKekId, Kms newKms) {
        if (clusterKeys == null) {
            return java.util.concurrent.CompletableFuture.failedFuture(new UnsupportedOperationException(
                    "cluster " + config.clusterId() + " does not use cluster keys: its records name the KMS key itself"
                            + " and only a rewrite could move them to another key"));
        }
        return clusterKeys.rekey(newKekId, newKms, KekPolicy.onlyKey(newKms.kind(), newKekId, "this cluster's key"));
    }

    /** Unlocks the cluster; new DEKs are obtained from the KMS as needed. */
    public void unlock() {
        locked = false;
        LOG.info("cluster {}: unlocked", config.clusterId());
    }

    /**
     * What the last health check of the cluster's key found (by the control plane's monitor, or the
     * standalone proxy's own watch), for the metrics: KMS unavailable since, failed checks.
     */
    public void reportKmsHealth(KeyWatch.Status status) {
        kmsHealth = status;
    }

    public boolean isLocked() {
        return locked;
    }

    /** Number of plaintext DEKs held right now (encryption and decryption), for tests and health checks. */
    public long dekCount() {
        return encryptionDeks.size() + decryptionDeks.size();
    }

    private void sweepDeks() {
        encryptionDeks.sweep();
        decryptionDeks.sweep();
    }

    private void purgeDeks() {
        if (clusterKeys != null) {
            clusterKeys.wipe(); // first: no DEK derived after this point comes from a key held before the lock
        }
        encryptionDeks.purge();
        decryptionDeks.purge();
    }

    /** Cluster keys held unwrapped right now (0 without cluster keys), for tests and health checks. */
    public int clusterKeyCount() {
        return clusterKeys == null ? 0 : clusterKeys.size();
    }

    /** KMS calls made for cluster keys (0 without them). */
    public long clusterKeyKmsCalls() {
        return clusterKeys == null ? 0 : clusterKeys.kmsCalls();
    }

    /** Stops listening, closes every connection and wipes every DEK. */
    @Override
    public void close() {
        server.close();
        purgeDeks();
        if (clusterKeys != null) {
            clusterKeys.close();
        }
        LOG.info("cluster {}: proxy stopped", config.clusterId());
    }
}
