package io.keyhold.server;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.proxy.TlsSettings;
import io.keyhold.kms.audit.ProcessName;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the control plane needs to start. Build one with {@link #builder()}, or load one from
 * flags, {@code KEYHOLD_*} environment variables and a YAML file with {@link ServerConfigLoader}.
 * Secrets (database password, bootstrap secret) never appear in {@link #toString()}.
 */
public final class ServerConfig {
    private final Path dataDir;
    private final int httpPort;
    private final String bind;
    private final String publicUrl;
    private final String databaseUrl;
    private final String databaseUser;
    private final String databasePassword;
    private final Duration releaseHold;
    private final int maxKeysPerOrg;
    private final int rateLimit;
    private final Duration rateLimitWindow;
    private final Duration validationInterval;
    private final Duration healthInterval;
    private final Duration kmsUnavailableGrace;
    private final List<Webhook> notifications;
    private final int maxBodyBytes;
    private final String bootstrapApiKey;
    private final String bootstrapApiSecret;
    private final Map<String, String> kmsSettings;
    private final List<String> awsRoles;
    private final List<RegisteredKafkaCluster> kafkaClusters;
    private final String azureApplicationId;
    private final String gcpSecurityGroup;
    private final Clock clock;
    private final ClusterRuntime clusterRuntime;
    private final KmsRegistry kms;
    private final AuditTrail audit;
    private final Duration auditRetention;
    private final Duration localKeyRotation;
    private final boolean printBootstrapSecret;
    private final int failedLoginLimit;
    private final Duration failedLoginWindow;
    private final Path tlsCertFile;
    private final Path tlsKeyFile;
    private final boolean insecureHttp;
    private final TlsSettings clusterTls;

    private ServerConfig(Builder b) {
        this.dataDir = Objects.requireNonNull(b.dataDir, "dataDir");
        this.httpPort = b.httpPort;
        this.bind = Objects.requireNonNull(b.bind, "bind");
        this.publicUrl = b.publicUrl;
        this.databaseUrl = b.databaseUrl;
        this.databaseUser = b.databaseUser;
        this.databasePassword = b.databasePassword;
        this.releaseHold = Objects.requireNonNull(b.releaseHold, "releaseHold");
        this.maxKeysPerOrg = b.maxKeysPerOrg;
        this.rateLimit = b.rateLimit;
        this.rateLimitWindow = b.rateLimitWindow;
        this.validationInterval = b.validationInterval;
        this.healthInterval = b.healthInterval;
        this.kmsUnavailableGrace = Objects.requireNonNull(b.kmsUnavailableGrace, "kmsUnavailableGrace");
        this.notifications = List.copyOf(b.notifications);
        this.maxBodyBytes = b.maxBodyBytes;
        this.bootstrapApiKey = b.bootstrapApiKey;
        this.bootstrapApiSecret = b.bootstrapApiSecret;
        this.kmsSettings = Map.copyOf(b.kmsSettings);
        this.awsRoles = List.copyOf(b.awsRoles);
        this.kafkaClusters = List.copyOf(b.kafkaClusters);
        this.azureApplicationId = b.azureApplicationId;
        this.gcpSecurityGroup = b.gcpSecurityGroup;
        this.clock = b.clock;
        this.clusterRuntime = b.clusterRuntime;
        // A registry shared between configurations (the CLI builds several) brings its trail along: one trail per process.
        this.audit = b.kms != null && b.kms.audit() instanceof AuditTrail shared ? shared : new AuditTrail();
        this.kms = b.kms != null ? b.kms : new KmsRegistry(this::kmsSettingsFor, RetryPolicy.DEFAULT, audit, ProcessName.of("server"));
        this.auditRetention = Objects.requireNonNull(b.auditRetention, "auditRetention");
        this.localKeyRotation = b.localKeyRotation;
        this.printBootstrapSecret = b.printBootstrapSecret;
        this.failedLoginLimit = b.failedLoginLimit;
        this.failedLoginWindow = Objects.requireNonNull(b.failedLoginWindow, "failedLoginWindow");
        this.tlsCertFile = b.tlsCertFile;
        this.tlsKeyFile = b.tlsKeyFile;
        this.insecureHttp = b.insecureHttp;
        this.clusterTls = b.clusterTls;
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("http-port must be 0..65535, got " + httpPort);
        }
        if (maxKeysPerOrg < 0 || rateLimit < 1 || maxBodyBytes < 1024) {
            throw new IllegalArgumentException("max-keys-per-org must be >= 0, rate-limit >= 1, max-body-bytes >= 1024");
        }
        if (releaseHold.isNegative() || rateLimitWindow.isZero() || rateLimitWindow.isNegative()
                || validationInterval.isZero() || validationInterval.isNegative() || healthInterval.isZero()
                || healthInterval.isNegative()) {
            throw new IllegalArgumentException("release-hold must be >= 0; rate-limit-window and validation-interval > 0");
        }
        if (kmsUnavailableGrace.isNegative()) {
            throw new IllegalArgumentException("kms-unavailable-grace must be >= 0, got " + kmsUnavailableGrace);
        }
        if (auditRetention.compareTo(Duration.ofDays(1)) < 0) {
            throw new IllegalArgumentException("audit-retention must be at least 1d, got " + auditRetention);
        }
        if (localKeyRotation != null && localKeyRotation.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("local-key-rotation must be at least 1m (or off), got " + localKeyRotation);
        }
        if ((bootstrapApiKey == null) != (bootstrapApiSecret == null)) {
            throw new IllegalArgumentException("KEYHOLD_BOOTSTRAP_API_KEY and KEYHOLD_BOOTSTRAP_API_SECRET must be set together");
        }
        if (failedLoginLimit < 1 || failedLoginWindow.isZero() || failedLoginWindow.isNegative()) {
            throw new IllegalArgumentException("failed-login-limit must be >= 1 and failed-login-window > 0");
        }
        if ((tlsCertFile == null) != (tlsKeyFile == null)) {
            throw new IllegalArgumentException("tls-cert-file and tls-key-file must be given together (a PEM certificate and its private key)");
        }
        if (clusterTls != null) {
            // Read now: a server given unusable files does not start (rather than failing each cluster's start).
            io.keyhold.common.tls.PemKeyStore.keyManagers(clusterTls.certificateChain(), clusterTls.privateKey());
            if (clusterTls.trustedCertificates() != null) {
                io.keyhold.common.tls.PemKeyStore.trustManagers(clusterTls.trustedCertificates());
            }
        }
        if (tlsCertFile == null && !insecureHttp && !BindAddress.isLoopback(bind)) {
            throw new IllegalArgumentException("refusing to serve the API over plain HTTP on " + (bind.isEmpty() ? "every address" : bind)
                    + ", which is not a loopback address: API secrets would cross the network in clear. Give the server a certificate "
                    + "(--tls-cert-file CERT.pem --tls-key-file KEY.pem, or KEYHOLD_TLS_CERT_FILE and KEYHOLD_TLS_KEY_FILE), or bind "
                    + "to 127.0.0.1, or, only if TLS ends in front of the server on a network you trust, pass --insecure-http "
                    + "(KEYHOLD_INSECURE_HTTP=true)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** 0 picks a free port (tests). */
    public int httpPort() {
        return httpPort;
    }

    public String bind() {
        return bind;
    }

    /** Base URL used in {@code self} links; null means http://bind:port, or https:// with a certificate. */
    public String publicUrl() {
        return publicUrl;
    }

    /** Null means the embedded H2 database under the data dir. */
    public String databaseUrl() {
        return databaseUrl;
    }

    public String databaseUser() {
        return databaseUser;
    }

    public String databasePassword() {
        return databasePassword;
    }

    /** How long a key stays held after its cluster was deleted (5 days by default). */
    public Duration releaseHold() {
        return releaseHold;
    }

    /** The {@code byok.max_keys.per_org} quota. */
    public int maxKeysPerOrg() {
        return maxKeysPerOrg;
    }

    /** Requests per {@link #rateLimitWindow()} per API key. */
    public int rateLimit() {
        return rateLimit;
    }

    public Duration rateLimitWindow() {
        return rateLimitWindow;
    }

    /** How often keys still INITIALIZING are (re)checked. */
    public Duration validationInterval() {
        return validationInterval;
    }

    /** How often the keys of clusters are checked at their KMS (lock on refusal, unlock on return). */
    public Duration healthInterval() {
        return healthInterval;
    }

    /**
     * How long a cluster keeps serving from its cached DEKs while its key's KMS cannot be reached
     * (network, throttling, 5xx, timeouts) before it locks (10 minutes by default). A refusal locks at once.
     */
    public Duration kmsUnavailableGrace() {
        return kmsUnavailableGrace;
    }

    /** The webhooks that receive lock, unlock, rotation and outage events ({@code notifications}). */
    public List<Webhook> notifications() {
        return notifications;
    }

    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    public String bootstrapApiKey() {
        return bootstrapApiKey;
    }

    public String bootstrapApiSecret() {
        return bootstrapApiSecret;
    }

    /** Settings for KMS providers, named {@code <kind>.<setting>}, e.g. {@code aws.region}. */
    public Map<String, String> kmsSettings() {
        return kmsSettings;
    }

    /** The principals an AWS key policy must allow (shown as {@code roles} on AwsKey). */
    public List<String> awsRoles() {
        return awsRoles;
    }

    /**
     * Existing Kafka clusters the operator registered ({@code kafka-clusters}); when any are,
     * created clusters bind to them instead of getting brokers on this machine.
     */
    public List<RegisteredKafkaCluster> kafkaClusters() {
        return kafkaClusters;
    }

    public String azureApplicationId() {
        return azureApplicationId;
    }

    public String gcpSecurityGroup() {
        return gcpSecurityGroup;
    }

    public Clock clock() {
        return clock;
    }

    public ClusterRuntime clusterRuntime() {
        return clusterRuntime;
    }

    /** The process's audit trail: every part of the server records its KMS calls and lifecycle events here. */
    public AuditTrail audit() {
        return audit;
    }

    /** How long audit events are kept (400 days by default, as auditors ask); older ones are deleted. */
    public Duration auditRetention() {
        return auditRetention;
    }

    /** How often local KMS keys of key objects get a new version (31 days by default); null: never on a schedule. */
    public Duration localKeyRotation() {
        return localKeyRotation;
    }

    /**
     * The process's KMS connections, one per provider kind, shared by the key validator, the health
     * monitor and every cluster's proxy; closed with the server. Every call they make is audited.
     */
    public KmsRegistry kms() {
        return kms;
    }

    /** The settings a provider kind is opened with: {@code kms.<kind>.*} plus {@code data-dir}. */
    public KmsConfig kmsSettingsFor(String kind) {
        Map<String, String> values = settingsOf(kmsSettings, kind);
        values.put("data-dir", dataDir.toAbsolutePath().toString());
        return KmsConfig.of(values);
    }

    /** {@code kms.<kind>.*} of {@code kmsSettings} (names without {@code kms.}), without the prefix. */
    private static Map<String, String> settingsOf(Map<String, String> kmsSettings, String kind) {
        Map<String, String> values = new java.util.HashMap<>();
        String prefix = kind + ".";
        kmsSettings.forEach((name, value) -> {
            if (name.startsWith(prefix)) {
                values.put(name.substring(prefix.length()), value);
            }
        });
        return values;
    }

    /** Whether a freshly generated bootstrap secret is printed to standard output (once). */
    public boolean printBootstrapSecret() {
        return printBootstrapSecret;
    }

    /** Failed logins per {@link #failedLoginWindow()} per client address and per API key id (10 by default). */
    public int failedLoginLimit() {
        return failedLoginLimit;
    }

    public Duration failedLoginWindow() {
        return failedLoginWindow;
    }

    /** The PEM certificate chain the API is served with over HTTPS; null: plain HTTP. */
    public Path tlsCertFile() {
        return tlsCertFile;
    }

    /** The PEM private key of {@link #tlsCertFile()}. */
    public Path tlsKeyFile() {
        return tlsKeyFile;
    }

    public boolean tls() {
        return tlsCertFile != null;
    }

    /** TLS on every cluster endpoint (the data plane's listeners); null: plaintext. */
    public TlsSettings clusterTls() {
        return clusterTls;
    }

    /** Whether plain HTTP on a non-loopback address was asked for explicitly. */
    public boolean insecureHttp() {
        return insecureHttp;
    }

    @Override
    public String toString() {
        return "ServerConfig[dataDir=" + dataDir + ", bind=" + bind + ", httpPort=" + httpPort + ", " + (tls() ? "https" : "http")
                + ", database=" + (databaseUrl == null ? "embedded H2" : databaseUrl.replaceAll("\\?.*", ""))
                + ", releaseHold=" + releaseHold + ", maxKeysPerOrg=" + maxKeysPerOrg + ", rateLimit=" + rateLimit
                + "/" + rateLimitWindow + (kafkaClusters.isEmpty() ? "" : ", kafkaClusters=" + kafkaClusters) + "]";
    }

    /** Builds a {@link ServerConfig}; every field has the documented default. */
    public static final class Builder {
        private Path dataDir = Path.of("data");
        private int httpPort = 8090;
        private String bind = "127.0.0.1";
        private String publicUrl;
        private String databaseUrl;
        private String databaseUser;
        private String databasePassword;
        private Duration releaseHold = Duration.ofDays(5);
        private Duration auditRetention = Duration.ofDays(400);
        private Duration localKeyRotation = Duration.ofDays(31);
        private int maxKeysPerOrg = 50;
        private int rateLimit = 6000;
        private Duration rateLimitWindow = Duration.ofMinutes(1);
        private Duration validationInterval = Duration.ofSeconds(5);
        private Duration healthInterval = Duration.ofSeconds(30);
        private Duration kmsUnavailableGrace = Duration.ofMinutes(10);
        private List<Webhook> notifications = List.of();
        private int maxBodyBytes = 64 * 1024;
        private String bootstrapApiKey;
        private String bootstrapApiSecret;
        private Map<String, String> kmsSettings = Map.of();
        private List<String> awsRoles = List.of();
        private List<RegisteredKafkaCluster> kafkaClusters = List.of();
        private String azureApplicationId;
        private String gcpSecurityGroup;
        private Clock clock = Clock.systemUTC();
        private ClusterRuntime clusterRuntime = ClusterRuntime.NONE;
        private KmsRegistry kms;
        private boolean printBootstrapSecret = true;
        private int failedLoginLimit = 10;
        private Duration failedLoginWindow = Duration.ofMinutes(1);
        private Path tlsCertFile;
        private Path tlsKeyFile;
        private TlsSettings clusterTls;
        private boolean insecureHttp;

        /** The KMS connections to use (default: a registry of this configuration's own, made by {@link #build()}). */
        public Builder kms(KmsRegistry v) {
            kms = Objects.requireNonNull(v);
            return this;
        }

        public Builder dataDir(Path v) {
            dataDir = v;
            return this;
        }

        public Builder httpPort(int v) {
            httpPort = v;
            return this;
        }

        public Builder bind(String v) {
            bind = v;
            return this;
        }

        public Builder publicUrl(String v) {
            publicUrl = v;
            return this;
        }

        public Builder databaseUrl(String v) {
            databaseUrl = v;
            return this;
        }

        public Builder databaseUser(String v) {
            databaseUser = v;
            return this;
        }

        public Builder databasePassword(String v) {
            databasePassword = v;
            return this;
        }

        public Builder releaseHold(Duration v) {
            releaseHold = v;
            return this;
        }

        public Builder auditRetention(Duration v) {
            auditRetention = v;
            return this;
        }

        /** Null turns scheduled rotation of local keys off. */
        public Builder localKeyRotation(Duration v) {
            localKeyRotation = v;
            return this;
        }

        public Builder maxKeysPerOrg(int v) {
            maxKeysPerOrg = v;
            return this;
        }

        public Builder rateLimit(int v) {
            rateLimit = v;
            return this;
        }

        public Builder rateLimitWindow(Duration v) {
            rateLimitWindow = v;
            return this;
        }

        public Builder validationInterval(Duration v) {
            validationInterval = v;
            return this;
        }

        public Builder healthInterval(Duration v) {
            healthInterval = v;
            return this;
        }

        public Builder kmsUnavailableGrace(Duration v) {
            kmsUnavailableGrace = v;
            return this;
        }

        public Builder notifications(List<Webhook> v) {
            notifications = Objects.requireNonNull(v);
            return this;
        }

        public Builder maxBodyBytes(int v) {
            maxBodyBytes = v;
            return this;
        }

        public Builder bootstrapCredentials(String apiKey, String apiSecret) {
            bootstrapApiKey = apiKey;
            bootstrapApiSecret = apiSecret;
            return this;
        }

        public Builder kmsSettings(Map<String, String> v) {
            kmsSettings = v;
            return this;
        }

        /**
         * The settings {@code kind}'s provider is opened with ({@code kms.<kind>.*}), read without
         * building the whole configuration: for commands that talk to a KMS directly ({@code keyhold kmip}).
         */
        public Map<String, String> kmsSettingsOf(String kind) {
            return settingsOf(kmsSettings, kind);
        }

        public Builder awsRoles(List<String> v) {
            awsRoles = v;
            return this;
        }

        public Builder kafkaClusters(List<RegisteredKafkaCluster> v) {
            kafkaClusters = Objects.requireNonNull(v);
            return this;
        }

        public Builder azureApplicationId(String v) {
            azureApplicationId = v;
            return this;
        }

        public Builder gcpSecurityGroup(String v) {
            gcpSecurityGroup = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = Objects.requireNonNull(v);
            return this;
        }

        public Builder clusterRuntime(ClusterRuntime v) {
            clusterRuntime = Objects.requireNonNull(v);
            return this;
        }

        public Builder printBootstrapSecret(boolean v) {
            printBootstrapSecret = v;
            return this;
        }

        public Builder failedLoginLimit(int v) {
            failedLoginLimit = v;
            return this;
        }

        public Builder failedLoginWindow(Duration v) {
            failedLoginWindow = v;
            return this;
        }

        /** Serve HTTPS with this PEM certificate chain and private key (both or neither). */
        public Builder tls(Path certFile, Path keyFile) {
            tlsCertFile = certFile;
            tlsKeyFile = keyFile;
            return this;
        }

        /** Serve every cluster endpoint over TLS with these settings (null: plaintext). */
        public Builder clusterTls(TlsSettings v) {
            clusterTls = v;
            return this;
        }

        public Builder insecureHttp(boolean v) {
            insecureHttp = v;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(this);
        }
    }
}
