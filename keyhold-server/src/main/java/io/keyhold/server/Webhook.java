package io.keyhold.server;

import io.keyhold.kms.audit.AuditEventType;
import java.net.URI;
import java.util.Objects;
import java.util.Set;

/**
 * One {@code notifications} entry of the server config: where lifecycle events are POSTed and the
 * secret that signs them. The secret comes from the environment variable {@code secretEnv}, never
 * from the file, and never shows in {@link #toString()}.
 *
 * @param url       the endpoint (http or https)
 * @param events    the audit event types it receives
 * @param secretEnv the environment variable the secret was read from (for messages)
 * @param secret    the HMAC-SHA256 key of the {@code X-Keyhold-Signature} header
 */
public record Webhook(URI url, Set<AuditEventType> events, String secretEnv, byte[] secret) {
    public Webhook {
        Objects.requireNonNull(url, "url");
        events = Set.copyOf(events);
        Objects.requireNonNull(secretEnv, "secretEnv");
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "Webhook[url=" + url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + url.getPath() + ", events=" + events + ", secretEnv=" + secretEnv + "]";
    }
}
