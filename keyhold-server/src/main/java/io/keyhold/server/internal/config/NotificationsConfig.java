package io.keyhold.server.internal.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.server.Webhook;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Reads the {@code notifications} list of the server's YAML file:
 *
 * <pre>
 * notifications:
 *   - url: https://hooks.example.com/keyhold
 *     events: [lock, unlock, rotation, outage]   # optional; these four are the default
 *     secret-env: KEYHOLD_WEBHOOK_SECRET          # the HMAC secret, from the environment
 * </pre>
 *
 * Strict: an unknown field or event, a missing secret, or a secret shorter than
 * {@value #MIN_SECRET_LENGTH} characters stops the server, since a webhook the operator thinks is
 * signed but is not would let anyone forge Keyhold's events.
 */
public final class NotificationsConfig {
    public static final String KEY = "notifications";
    public static final int MIN_SECRET_LENGTH = 16;
    private static final Set<String> FIELDS = Set.of("url", "events", "secret-env");
    /** The short names of the issue, each a group of audit event types; full event type names work too. */
    private static final Map<String, Set<AuditEventType>> GROUPS = Map.of(
            "lock", EnumSet.of(AuditEventType.CLUSTER_LOCKED),
            "unlock", EnumSet.of(AuditEventType.CLUSTER_UNLOCKED),
            "rotation", EnumSet.of(AuditEventType.KEY_ROTATED),
            "outage", EnumSet.of(AuditEventType.KMS_UNAVAILABLE, AuditEventType.KMS_AVAILABLE));

    private NotificationsConfig() {
    }

    /** @param list the value of {@code notifications}, or null; {@code env} resolves {@code secret-env} */
    public static List<Webhook> parse(JsonNode list, UnaryOperator<String> env) {
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException(KEY + " must be a list of {url, events, secret-env}");
        }
        List<Webhook> out = new ArrayList<>();
        int i = 0;
        for (JsonNode n : list) {
            out.add(webhook(n, KEY + "[" + i++ + "]: ", env));
        }
        return List.copyOf(out);
    }

    private static Webhook webhook(JsonNode n, String where, UnaryOperator<String> env) {
        if (!n.isObject()) {
            throw new IllegalArgumentException(where + "must be a mapping with url, events and secret-env");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException(where + "unknown field '" + f + "'; known: url, events, secret-env");
            }
        }
        URI url;
        try {
            url = URI.create(n.path("url").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "'url' is not a valid URL");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || url.getHost() == null) {
            throw new IllegalArgumentException(where + "'url' must be an http(s) URL with a host, e.g. https://hooks.example.com/keyhold");
        }
        if (url.getUserInfo() != null) {
            throw new IllegalArgumentException(where + "'url' must not carry credentials: the signature authenticates Keyhold");
        }
        Set<AuditEventType> events = events(n.get("events"), where);
        String secretEnv = n.path("secret-env").asText("");
        if (secretEnv.isEmpty()) {
            throw new IllegalArgumentException(where + "'secret-env' is required: it names the environment variable holding"
                    + " the secret that signs every notification (X-Keyhold-Signature)");
        }
        String secret = env.apply(secretEnv);
        if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException(where + "environment variable " + secretEnv + " (secret-env) must hold at least "
                    + MIN_SECRET_LENGTH + " characters, e.g. the output of 'openssl rand -hex 32'");
        }
        return new Webhook(url, events, secretEnv, secret.getBytes(StandardCharsets.UTF_8));
    }

    private static Set<AuditEventType> events(JsonNode events, String where) {
        Set<AuditEventType> out = EnumSet.noneOf(AuditEventType.class);
        if (events == null || events.isNull()) {
            GROUPS.values().forEach(out::addAll);
            return out;
        }
        if (!events.isArray() || events.isEmpty()) {
            throw new IllegalArgumentException(where + "'events' must be a non-empty list, e.g. [lock, unlock, rotation, outage]");
        }
        for (JsonNode e : events) {
            String name = e.asText("");
            Set<AuditEventType> group = GROUPS.get(name.toLowerCase(Locale.ROOT));
            if (group != null) {
                out.addAll(group);
                continue;
            }
            try {
                out.add(AuditEventType.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_')));
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException(where + "unknown event '" + name + "'; use lock, unlock, rotation, outage"
                        + " or an audit event type such as CLUSTER_LOCKED");
            }
        }
        return out;
    }
}
