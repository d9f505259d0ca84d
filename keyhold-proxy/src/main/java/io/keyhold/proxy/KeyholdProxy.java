package io.keyhold.proxy;

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
import io.keyhold.kms.Kms;
import io.keyhold.proxy.internal.ProxyCounters;
import io.keyhold.proxy.internal.ProxyRuntime;
import io.keyhold.proxy.internal.ProxyServer;
import io.keyhold.proxy.internal.RecordEncryption;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
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
    private volatile boolean locked;

    private KeyholdProxy(ProxyConfig config, String kmsKind, DekSource dekSource, DekUnwrapper unwrapper, int workerThreads) {
        this.config = config;
        KekPolicy ownKey = KekPolicy.onlyKey(kmsKind, config.kekId(), "this cluster's key");
        this.encryptionDeks = new EncryptionDekCache(ownKeyOnly(dekSource, ownKey), config.dekRotation());
        this.decryptionDeks = new DecryptionDekCache(unwrapper, ownKey, config.decryptionCacheSize(), config.decryptionCacheTtl());
        this.metrics = new ProxyMetrics(config.clusterId(), counters, () -> locked, encryptionDeks::size, decryptionDeks::size);
        RecordEncryption encryption = new RecordEncryption(new EnvelopeEncryptor(encryptionDeks),
                new EnvelopeDecryptor(decryptionDeks), config.kekId(), config.clusterId(), config.unencryptedRecords(), counters);
        this.server = new ProxyServer(config, workerThreads, parts -> new ProxyRuntime(config, encryption, counters,
                parts.clientSsl(), parts.upstreamSsl(), parts.brokerPorts(), () -> locked));
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
        return start(config, kms.kind(), kms, kms, Math.max(1, Runtime.getRuntime().availableProcessors()));
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
        return new KeyholdProxy(config, kmsKind, Objects.requireNonNull(dekSource, "dekSource"),
                Objects.requireNonNull(unwrapper, "unwrapper"), workerThreads);
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

    /**
     * Locks the cluster: from now on produce and fetch are answered with an authorization error, and
     * every plaintext DEK is wiped. Returns once no DEK is held, including any an in-flight request
     * created while the lock was being set.
     */
    public void lock() {
        locked = true;
        purgeDeks();
        // A request already past its lock check on an event loop may still create a DEK; purge
        // again on every event loop, after whatever it is running now.
        List<Future<?>> done = new ArrayList<>();
        for (EventExecutor loop : server.workers()) {
            done.add(loop.submit(this::purgeDeks));
        }
        for (Future<?> f : done) {
            f.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        LOG.warn("cluster {}: locked; produce and fetch refused, DEKs purged", config.clusterId());
    }

    /** Unlocks the cluster; new DEKs are obtained from the KMS as needed. */
    public void unlock() {
        locked = false;
        LOG.info("cluster {}: unlocked", config.clusterId());
    }

    public boolean isLocked() {
        return locked;
    }

    /** Number of plaintext DEKs held right now (encryption and decryption), for tests and health checks. */
    public long dekCount() {
        return encryptionDeks.size() + decryptionDeks.size();
    }

    private void purgeDeks() {
        encryptionDeks.purge();
        decryptionDeks.purge();
    }

    /** Stops listening, closes every connection and wipes every DEK. */
    @Override
    public void close() {
        server.close();
        purgeDeks();
        LOG.info("cluster {}: proxy stopped", config.clusterId());
    }
}
