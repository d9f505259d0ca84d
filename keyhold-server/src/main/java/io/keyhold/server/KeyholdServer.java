package io.keyhold.server;

import io.javalin.Javalin;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.server.internal.audit.AuditApi;
import io.keyhold.server.internal.audit.AuditQuery;
import io.keyhold.server.internal.audit.AuditStore;
import io.keyhold.server.internal.auth.ApiSecretHashes;
import io.keyhold.server.internal.auth.Authenticator;
import io.keyhold.server.internal.clusters.ClusterStore;
import io.keyhold.server.internal.clusters.ClustersApi;
import io.keyhold.server.internal.clusters.KeyHealthMonitor;
import io.keyhold.server.internal.clusters.ReadinessApi;
import io.keyhold.server.internal.clusters.ReadinessCheck;
import io.keyhold.server.internal.db.Database;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.jobs.BackgroundJobs;
import io.keyhold.server.internal.http.FailedLogins;
import io.keyhold.server.internal.http.HttpApi;
import io.keyhold.server.internal.http.Links;
import io.keyhold.server.internal.http.MetricsApi;
import io.keyhold.server.internal.http.RateLimiter;
import io.keyhold.server.internal.iam.ApiKeysApi;
import io.keyhold.server.internal.iam.Bootstrap;
import io.keyhold.server.internal.iam.EnvironmentsApi;
import io.keyhold.server.internal.iam.QuotasApi;
import io.keyhold.server.internal.iam.ServiceAccountsApi;
import io.keyhold.server.internal.keys.ExistingKeyIdentities;
import io.keyhold.server.internal.keys.KeyKinds;
import io.keyhold.server.internal.keys.KeyReleaseJob;
import io.keyhold.server.internal.keys.KeyRotation;
import io.keyhold.server.internal.keys.LocalKeyRotationJob;
import io.keyhold.server.internal.keys.KeyStore;
import io.keyhold.server.internal.keys.KeyValidator;
import io.keyhold.server.internal.keys.KeysApi;
import io.keyhold.server.internal.keys.LocalKeys;
import io.keyhold.server.internal.keys.LocalKmsApi;
import io.keyhold.server.internal.notify.WebhookNotifier;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Keyhold control plane: the REST API over the SQL database, plus its background jobs. Start one
 * with {@link #start(ServerConfig)}; {@link #close()} stops it cleanly (the CLI calls it on SIGTERM).
 */
public final class KeyholdServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyholdServer.class);
    /** A readiness probe is answered within this (the runtime's endpoint probes take up to about two seconds). */
    private static final java.time.Duration READINESS_DEADLINE = java.time.Duration.ofSeconds(3);

    private final ServerConfig config;
    private final Database db;
    private final KmsRegistry kms;
    private final KeyValidator validator;
    private final BackgroundJobs jobs;
    private final WebhookNotifier notifier;
    private final ReadinessCheck readiness;
    private final Javalin app;
    private final ScheduledExecutorService housekeeping;
    private final AuditStore auditStore;
    private final String url;
    private final Bootstrap.Result bootstrap;
    private boolean closed;

    private KeyholdServer(ServerConfig config, Database db, KmsRegistry kms, KeyValidator validator, BackgroundJobs jobs,
                          WebhookNotifier notifier, ReadinessCheck readiness, Javalin app, ScheduledExecutorService housekeeping,
                          AuditStore auditStore, String url, Bootstrap.Result bootstrap) {
        this.config = config;
        this.db = db;
        this.kms = kms;
        this.validator = validator;
        this.jobs = jobs;
        this.notifier = notifier;
        this.readiness = readiness;
        this.app = app;
        this.housekeeping = housekeeping;
        this.auditStore = auditStore;
        this.url = url;
        this.bootstrap = bootstrap;
    }

    /** Starts the server; bootstrap credentials, when generated, go to {@code out} (once). */
    public static KeyholdServer start(ServerConfig config) {
        return start(config, System.out);
    }

    public static KeyholdServer start(ServerConfig config, PrintStream out) {
        try {
            io.keyhold.common.AtomicFiles.createPrivateDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + config.dataDir(), e);
        }
        Database db = Database.open(config.databaseUrl(), config.databaseUser(), config.databasePassword(), config.dataDir(), 16,
                new ExistingKeyIdentities());
        KmsRegistry kms = config.kms();
        KeyValidator validator = null;
        BackgroundJobs jobs = null;
        WebhookNotifier notifier = null;
        ReadinessCheck readiness = null;
        Javalin app = null;
        ScheduledExecutorService housekeeping = null;
        AuditStore auditStore = null;
        try {
            Sql sql = new Sql(db);
            PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new JvmMemoryMetrics().bindTo(metrics);
            new JvmThreadMetrics().bindTo(metrics);
            new ProcessorMetrics().bindTo(metrics);
            auditStore = new AuditStore(sql, metrics);
            config.audit().attach(auditStore); // events recorded before the database opened go first
            Authenticator auth = new Authenticator(sql, ApiSecretHashes.loadOrCreate(sql, config.clock().millis()));
            RateLimiter limiter = new RateLimiter(config.rateLimit(), config.rateLimitWindow().toMillis(), java.time.Clock.systemUTC());
            FailedLogins failedLogins = new FailedLogins(config.failedLoginLimit(), config.failedLoginWindow(), config.clock());
            java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
            app = HttpApi.create(config, auth, limiter, failedLogins, metrics, ready::get);
            // Self links need the port, known only once Jetty listens (port 0 = any free port).
            Links links = new Links("keyhold");
            ApiContext api = new ApiContext(config, sql, config.clock(), links);
            KeyStore keyStore = new KeyStore(sql);
            validator = new KeyValidator(keyStore, kms, config.clock(), config.audit());
            LocalKeys localKeys = new LocalKeys(kms, sql);
            KeyRotation rotation = new KeyRotation(keyStore, kms, config.clusterRuntime(), config.audit(), config.clock());
            new KeysApi(api, keyStore, new KeyKinds(config, localKeys), validator, rotation).register(app);
            ClusterStore clusterStore = new ClusterStore(sql, config.clock());
            new ClustersApi(api, clusterStore, keyStore, config.clusterRuntime()).register(app);
            new MetricsApi(metrics, config.clusterRuntime(), clusterStore::idsInOrganization).register(app);
            readiness = new ReadinessCheck(ready::get, clusterStore, config.clusterRuntime(), READINESS_DEADLINE);
            new ReadinessApi(readiness).register(app);
            KeyHealthMonitor health = new KeyHealthMonitor(sql, keyStore, kms, config.clusterRuntime(), clusterStore, config.clock(),
                    config.healthInterval(), config.kmsUnavailableGrace(), config.audit(), rotation);
            if (!config.notifications().isEmpty()) {
                notifier = new WebhookNotifier(config.notifications(), config.clock());
                config.audit().subscribe(notifier);
            }
            jobs = backgroundJobs(config, db, sql, validator, health, keyStore, rotation, auditStore);
            new EnvironmentsApi(api, auth).register(app);
            new ApiKeysApi(api, auth).register(app);
            new ServiceAccountsApi(api, auth).register(app);
            new QuotasApi(api).register(app);
            new AuditApi(api, new AuditQuery(sql)).register(app);
            new LocalKmsApi(api, localKeys, keyStore).register(app);
            app.start();
            String base = config.publicUrl() != null ? config.publicUrl()
                    : (config.tls() ? "https://" : "http://") + hostFor(config.bind()) + ":" + app.port();
            links.setBaseUrl(base);
            Bootstrap.Result boot = Bootstrap.runIfEmpty(sql, config, base, auth::hashSecret, out);
            if (boot != null) {
                localKeys.adoptUnscopedKeys(boot.orgId()); // a new server: keys made with the store files are the first organization's
            }
            jobs.start();
            if (!jobs.isLeader() && config.clusterRuntime() != ClusterRuntime.NONE) {
                // replicas share the API and jobs, not the data plane: see docs/API.md, "Several servers on one database"
                LOG.error("another server on this database runs the background jobs: key health locks and unlocks will not reach "
                        + "the clusters this process runs; run embedded clusters on a single server");
            }
            housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "keyhold-housekeeping");
                t.setDaemon(true);
                return t;
            });
            housekeeping.scheduleWithFixedDelay(limiter::sweep, 1, 1, TimeUnit.MINUTES);
            housekeeping.scheduleWithFixedDelay(failedLogins::sweep, 1, 1, TimeUnit.MINUTES);
            ready.set(true);
            LOG.info("Keyhold control plane listening on {} ({})", base, config);
            return new KeyholdServer(config, db, kms, validator, jobs, notifier, readiness, app, housekeeping, auditStore, base, boot);
        } catch (IOException e) {
            cleanup(config, app, validator, jobs, notifier, readiness, housekeeping, auditStore, kms, db);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            cleanup(config, app, validator, jobs, notifier, readiness, housekeeping, auditStore, kms, db);
            throw e;
        }
    }

    /**
     * The jobs that run on one server of a deployment at a time (see {@link BackgroundJobs}; docs/ARCHITECTURE.md):
     * register new ones here. Every server serves the API; only the lease holder runs these.
     */
    private static BackgroundJobs backgroundJobs(ServerConfig config, Database db, Sql sql, KeyValidator validator,
                                                 KeyHealthMonitor health, KeyStore keyStore, KeyRotation rotation,
                                                 AuditStore auditStore) {
        BackgroundJobs jobs = db.isPostgres() ? BackgroundJobs.leased(sql, config.healthInterval(), config.clock())
                : BackgroundJobs.alone(config.clock());
        jobs.every("key-validation", java.time.Duration.ZERO, config.validationInterval(), validator::sweep);
        jobs.every("key-health", config.healthInterval(), config.healthInterval(), health::checkAll);
        java.time.Duration releases = KeyReleaseJob.checkPeriod(config.releaseHold());
        jobs.every("release-hold", java.time.Duration.ZERO, releases, new KeyReleaseJob(keyStore, config.audit(), config.clock()));
        if (config.localKeyRotation() != null) {
            LocalKeyRotationJob schedule = new LocalKeyRotationJob(keyStore, rotation, config.localKeyRotation(), config.clock());
            jobs.every("local-key-rotation", schedule.checkPeriod(), schedule.checkPeriod(), schedule);
        }
        jobs.every("audit-retention", java.time.Duration.ZERO, java.time.Duration.ofHours(1), () -> expireAuditEvents(auditStore, config));
        return jobs;
    }

    /** The retention job: events older than {@code audit-retention} go. */
    private static void expireAuditEvents(AuditStore store, ServerConfig config) {
        try {
            int n = store.deleteOlderThan(config.clock().millis() - config.auditRetention().toMillis());
            if (n > 0) {
                LOG.info("deleted {} audit events older than {} (audit-retention)", n, config.auditRetention());
            }
        } catch (RuntimeException e) {
            LOG.warn("audit retention job failed: {}", e.toString());
        }
    }

    private static String hostFor(String bind) {
        if (bind.equals("0.0.0.0") || bind.equals("::") || bind.isEmpty()) {
            return "localhost";
        }
        return bind.contains(":") ? "[" + bind + "]" : bind;
    }

    private static void cleanup(ServerConfig config, Javalin app, KeyValidator validator, BackgroundJobs jobs,
                                WebhookNotifier notifier, ReadinessCheck readiness, ScheduledExecutorService housekeeping,
                                AuditStore auditStore, KmsRegistry kms, Database db) {
        if (app != null) {
            app.stop();
        }
        if (jobs != null) {
            jobs.close();
        }
        if (validator != null) {
            validator.close();
        }
        if (notifier != null) {
            notifier.close();
        }
        if (readiness != null) {
            readiness.close();
        }
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (auditStore != null) {
            config.audit().detach(auditStore);
            auditStore.close(); // writes what is queued, while the database is still open
        }
        kms.close();
        db.close();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8090}. */
    public String url() {
        return url;
    }

    public int port() {
        return app.port();
    }

    public ServerConfig config() {
        return config;
    }

    /** Organization, environment and API key created on this start, or null when the database was already bootstrapped. */
    public String bootstrapApiKey() {
        return bootstrap == null ? null : bootstrap.apiKey();
    }

    public String bootstrapOrganizationId() {
        return bootstrap == null ? null : bootstrap.orgId();
    }

    public String bootstrapEnvironmentId() {
        return bootstrap == null ? null : bootstrap.environmentId();
    }

    /** Stops accepting requests, finishes the running ones, stops jobs, closes KMS connections and the database. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cleanup(config, app, validator, jobs, notifier, readiness, housekeeping, auditStore, kms, db);
        LOG.info("Keyhold control plane stopped");
    }
}
