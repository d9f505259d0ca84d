package io.keyhold.kms.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the audit trail: a KMS call Keyhold made, or a key lifecycle event. Never key
 * material: fields hold identifiers (key references, cluster ids, key versions) and outcomes only,
 * and {@code message} is text written by Keyhold (a KMS's own error text may name accounts and
 * roles, which the customer's auditors may see, but never a key's bytes).
 *
 * <p>Any field but {@code time}, {@code type} and {@code process} may be null when it does not apply.
 *
 * @param time          when it happened
 * @param type          what happened
 * @param principal     who caused it (an API key or service account id, {@code system} for background jobs)
 * @param organization  the organization it belongs to, when known
 * @param cluster       the cluster it concerns ({@code lkc-...})
 * @param key           the byok/v1 key object id ({@code cck-...}) or, where there is none, the KMS key reference
 * @param provider      the KMS kind ({@code local}, {@code aws}, ...)
 * @param keyVersion    the key version used or reported
 * @param operation     the KMS operation ({@code generate}, {@code unwrap}, {@code describe}, {@code rotate}, ...)
 * @param outcome       {@code ok}, {@code denied}, {@code unavailable}, {@code invalid-ciphertext}, or {@code error}
 * @param latencyMillis how long a KMS call took, or -1
 * @param process       which process recorded it (e.g. {@code server@host:pid}, {@code proxy@host:pid})
 * @param message       a short human explanation, e.g. the reason of a lock
 */
public record AuditEvent(Instant time, AuditEventType type, String principal, String organization, String cluster,
                         String key, String provider, String keyVersion, String operation, String outcome,
                         long latencyMillis, String process, String message) {

    public AuditEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(process, "process");
    }

    /** Starts an event of {@code type} happening now in {@code process}. */
    public static Builder of(AuditEventType type, String process) {
        return new Builder(type, process);
    }

    /** Builds an {@link AuditEvent}; every setter returns this builder. */
    public static final class Builder {
        private final AuditEventType type;
        private final String process;
        private Instant time;
        private String principal;
        private String organization;
        private String cluster;
        private String key;
        private String provider;
        private String keyVersion;
        private String operation;
        private String outcome;
        private long latencyMillis = -1;
        private String message;

        private Builder(AuditEventType type, String process) {
            this.type = Objects.requireNonNull(type, "type");
            this.process = Objects.requireNonNull(process, "process");
        }

        public Builder time(Instant time) {
            this.time = time;
            return this;
        }

        public Builder principal(String principal) {
            this.principal = principal;
            return this;
        }

        public Builder organization(String organization) {
            this.organization = organization;
            return this;
        }

        public Builder cluster(String cluster) {
            this.cluster = cluster;
            return this;
        }

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder provider(String provider) {
            this.provider = provider;
            return this;
        }

        public Builder keyVersion(String keyVersion) {
            this.keyVersion = keyVersion;
            return this;
        }

        public Builder operation(String operation) {
            this.operation = operation;
            return this;
        }

        public Builder outcome(String outcome) {
            this.outcome = outcome;
            return this;
        }

        public Builder latencyMillis(long latencyMillis) {
            this.latencyMillis = latencyMillis;
            return this;
        }

        public Builder message(String message) {
            this.message = message;
            return this;
        }

        public AuditEvent build() {
            return new AuditEvent(time == null ? Instant.now() : time, type, principal, organization, cluster, key, provider,
                    keyVersion, operation, outcome, latencyMillis, process, message);
        }
    }
}
