package io.keyhold.kms;

import io.keyhold.kms.audit.AuditSink;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The one place a process opens KMS connections: one per provider kind, opened on first use from
 * that kind's settings and wrapped once in {@link ResilientKms}, shared by everything in the process
 * (key validator, health monitor, every proxy). A key store such as the local KMS's is therefore
 * open once, with one copy of its master key in memory. Every call that reaches a provider is
 * recorded in the registry's audit trail ({@link AuditedKms}, inside the retries: one event per
 * attempt). Thread-safe; closing it closes every connection.
 */
public final class KmsRegistry implements AutoCloseable {
    private final Function<String, KmsConfig> settings;
    private final RetryPolicy policy;
    private final AuditSink audit;
    private final String process;
    private final Map<String, Kms> open = new ConcurrentHashMap<>();
    private boolean closed;

    /** @param settings the settings of each provider kind, e.g. the server's {@code kms.<kind>.*} */
    public KmsRegistry(Function<String, KmsConfig> settings, RetryPolicy policy) {
        this(settings, policy, AuditSink.NONE, "unaudited");
    }

    /**
     * @param audit   where every KMS call is recorded
     * @param process the calls' {@link io.keyhold.kms.audit.AuditEvent#process()} (see {@link io.keyhold.kms.audit.ProcessName})
     */
    public KmsRegistry(Function<String, KmsConfig> settings, RetryPolicy policy, AuditSink audit, String process) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.process = Objects.requireNonNull(process, "process");
    }

    /** Where this registry's connections record their calls. */
    public AuditSink audit() {
        return audit;
    }

    /** The process name its connections record calls under. */
    public String process() {
        return process;
    }

    /** {@code provider} audited and made resilient, as every connection of a registry is. */
    public static Kms wrap(Kms provider, RetryPolicy policy, AuditSink audit, String process) {
        return new ResilientKms(audit == AuditSink.NONE ? provider : new AuditedKms(provider, audit, process), policy);
    }

    /** The installed provider of {@code kind}, if any. */
    public Optional<KmsProvider> provider(String kind) {
        return KmsProviders.find(kind);
    }

    /**
     * The connection for {@code kind} (in any case: kinds are lower case), opened on first use.
     *
     * @throws IllegalArgumentException when no provider of that kind is installed or its settings are not usable
     * @throws IllegalStateException    when the registry is closed
     */
    public synchronized Kms get(String kind) { // synchronized with close(): nothing opens after it
        if (closed) {
            throw new IllegalStateException("the KMS connections are closed");
        }
        // One key per kind, as KmsProviders finds providers regardless of case: "AWS" and "aws" are one connection.
        String k = kind.toLowerCase(Locale.ROOT);
        return open.computeIfAbsent(k, x -> wrap(KmsProviders.require(x).open(settings.apply(x)), policy, audit, process));
    }

    /**
     * The provider's own connection for {@code kind}, unwrapped, for management calls specific to
     * it (the local KMS's create, disable, ...); {@code type} is the provider's class.
     */
    public <T extends Kms> T unwrapped(String kind, Class<T> type) {
        Kms k = get(kind);
        Kms inner = k instanceof ResilientKms r ? r.delegate() : k;
        inner = inner instanceof AuditedKms a ? a.delegate() : inner;
        return type.cast(inner);
    }

    /** Closes every connection, also when one fails to close; then throws the first failure, with the others suppressed. */
    @Override
    public synchronized void close() {
        closed = true;
        RuntimeException failure = null;
        for (Kms k : open.values()) {
            try {
                k.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
