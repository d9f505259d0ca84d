package io.keyhold.server.internal.clusters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.keys.KeyRow;
import io.keyhold.server.internal.keys.KeyStore;
import io.keyhold.server.internal.keys.KeyValidator;
import io.keyhold.server.internal.keys.KeyViewer;
import io.keyhold.server.internal.keys.KeysApi;
import io.keyhold.server.internal.util.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /cmk/v2/clusters}: create / get / list / patch display_name / delete, scoped by environment.
 * A cluster with {@code spec.byok} is encrypted with that customer key (self-managed); without it
 * with a platform key (automatic). The choice and the key are fixed at creation.
 */
public final class ClustersApi {
    private static final Logger LOG = LoggerFactory.getLogger(ClustersApi.class);
    private static final String PATH = "/cmk/v2/clusters";
    /** The {@code spec.cloud} values a cluster may have. */
    public static final List<String> CLOUDS = List.of("AWS", "GCP", "AZURE", "LOCAL");
    private static final List<String> AVAILABILITY = List.of("SINGLE_ZONE", "MULTI_ZONE", "LOW", "HIGH");
    private static final Set<String> TOP = Set.of("api_version", "kind", "id", "metadata", "spec", "status");
    private static final Set<String> SPEC = Set.of("display_name", "availability", "cloud", "region", "config", "environment",
            "byok", "network", "deletion_protection", "kafka_bootstrap_endpoint", "http_endpoint", "api_endpoint", "endpoints");

    private final ApiContext api;
    private final ClusterStore store;
    private final KeyStore keys;
    private final ClusterRuntime runtime;
    private final ClusterDeletion deletion;
    private final ClusterRekey rekey;

    public ClustersApi(ApiContext api, ClusterStore store, KeyStore keys, ClusterRuntime runtime) {
        this.api = api;
        this.store = store;
        this.keys = keys;
        this.runtime = runtime;
        // A lock only flips the proxy and wipes its caches: seconds of slack are for a starved machine.
        this.deletion = new ClusterDeletion(store, runtime, api.config().audit(), api.clock(), api.config().releaseHold(),
                java.time.Duration.ofSeconds(10));
        // Re-wrapping takes a KMS round trip and a replicated write per cluster key: seconds, minutes at worst.
        this.rekey = new ClusterRekey(store, runtime, api.config().audit(), api.clock(), api.config().releaseHold(),
                java.time.Duration.ofMinutes(2));
    }

    public void register(Javalin app) {
        ApiContext.crud(app, PATH, this::list, this::create, this::get, this::patch, this::delete);
    }

    /**
     * Checks that the environment exists in the caller's organization and that the caller may act
     * there. An environment the caller may not even read (an EnvironmentAdmin's other environments)
     * is not found, exactly like one that does not exist: its existence is not the caller's business.
     */
    private void environment(Principal p, String envId, boolean write, String pointerOrNull) {
        if (!p.canReadOrg()) {
            // no role at all: refused before any lookup, so the answer says nothing about what exists
            throw p.denied((write ? "manage" : "read") + " clusters", "EnvironmentAdmin");
        }
        long found = api.sql().count("SELECT COUNT(*) FROM environments WHERE id = ? AND org_id = ?", envId, p.orgId());
        if (found == 0 || !p.canReadEnvironment(envId)) {
            if (pointerOrNull != null) {
                throw ApiException.invalid(pointerOrNull, "The environment '" + abbreviate(envId) + "' was not found");
            }
            throw ApiException.notFound("The environment '" + abbreviate(envId) + "' was not found");
        }
        if (write && !p.canManageEnvironment(envId)) {
            throw p.denied("manage clusters in environment '" + envId + "'", "EnvironmentAdmin");
        }
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        Paging.onlyParams(ctx, "cluster", Set.of("environment", "spec.network", "spec.deletion_protection", "page_size", "page_token"));
        String env = ApiContext.requiredQuery(ctx, "environment");
        environment(p, env, false, null);
        Map<String, String> filters = new LinkedHashMap<>();
        filters.put("environment", env);
        String protection = ctx.queryParam("spec.deletion_protection");
        if (protection != null && !protection.equals("true") && !protection.equals("false")) {
            throw ApiException.invalidFilter("spec.deletion_protection", "spec.deletion_protection must be true or false");
        }
        Paging paging = Paging.of(ctx);
        // Keyhold clusters have no private networks and no deletion protection: those filters match nothing when set.
        boolean matchesNone = !ctx.queryParams("spec.network").isEmpty() || "true".equals(protection);
        if (protection != null) {
            filters.put("spec.deletion_protection", protection);
        }
        long total = matchesNone ? 0 : store.count(env);
        List<ClusterRow> rows = matchesNone ? List.of() : store.list(env, paging.offset(), paging.size());
        ctx.json(api.list("cmk/v2", "ClusterList", paging, PATH, filters, total, rows, this::render));
    }

    private void get(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        Paging.onlyParams(ctx, "cluster", Set.of("environment"));
        String env = ApiContext.requiredQuery(ctx, "environment");
        environment(p, env, false, null);
        ctx.json(render(find(p, env, ctx.pathParam("id"))));
    }

    private ClusterRow find(Principal p, String env, String id) {
        return store.get(p.orgId(), env, id).orElseThrow(() -> ApiException.notFound("The cluster '" + abbreviate(id)
                + "' was not found in environment '" + abbreviate(env) + "'"));
    }

    private void create(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        if (!p.canManageKeys()) {
            throw p.denied("create clusters", "EnvironmentAdmin");
        }
        Body body = ApiContext.body(ctx);
        body.onlyFields("", TOP);
        body.requiredObject("/spec");
        body.onlyFields("/spec", SPEC);
        String env = body.requiredString("/spec/environment/id");
        environment(p, env, true, "/spec/environment/id");
        String name = name(body);
        String availability = oneOf(body, "/spec/availability", AVAILABILITY);
        String cloud = oneOf(body, "/spec/cloud", CLOUDS);
        String region = body.requiredString("/spec/region").trim();
        if (region.isEmpty() || region.length() > 64) {
            throw ApiException.invalid("/spec/region", "'/spec/region' must be 1 to 64 characters");
        }
        ObjectNode config = config(body);
        if (body.has("/spec/network")) {
            throw ApiException.invalid("/spec/network", "Keyhold clusters do not support private networks yet");
        }
        String byok = body.has("/spec/byok") ? body.requiredString("/spec/byok/id") : null;
        if (byok != null) {
            checkKey(p, byok, cloud, region);
        }
        long now = api.now();
        ClusterRow row = store.insert(new ClusterStore.NewCluster(p.orgId(), env, name, availability, cloud, region, config.toString(),
                byok), now).orElseThrow(() -> keyInUse(KeyViewer.of(p), byok));
        try {
            runtime.provision(descriptor(row), store);
        } catch (RuntimeException e) {
            // The record stands (and holds its key); the phase tells the operator what went wrong.
            LOG.warn("cluster runtime failed to provision {}: {}", row.id(), e.toString());
            store.report(row.id(), io.keyhold.server.ClusterPhase.FAILED, "Provisioning failed: " + e.getMessage(), null);
        }
        ClusterRow current = store.get(p.orgId(), env, row.id()).orElse(row);
        ctx.status(202).header("Location", api.links().url(PATH + "/" + row.id() + "?environment=" + env)).json(render(current));
    }

    /** The rules for a cluster's key: same organization (and seen by the caller), VALID, AVAILABLE, its own KMS key, same region. */
    private void checkKey(Principal p, String keyId, String cloud, String region) {
        KeyViewer viewer = KeyViewer.of(p);
        long now = api.now();
        KeyRow key = keys.get(viewer, keyId, now).orElseThrow(() -> ApiException.invalid("/spec/byok/id",
                "The key '" + abbreviate(keyId) + "' was not found in this organization"));
        if (!"VALID".equals(key.phase())) {
            throw ApiException.invalid("/spec/byok/id", "The key '" + keyId + "' can not be used: its validation phase is "
                    + key.phase() + " (" + key.message() + ")");
        }
        if (key.inUse(now)) {
            throw keyInUse(viewer, keyId);
        }
        if (key.duplicateOf() != null) {
            throw ApiException.conflict("key_in_use", "Key In Use", "The key '" + keyId + "' names a KMS key that is already registered "
                    + KeysApi.holderText(viewer, keys.get(key.duplicateOf()).orElse(null), now)
                    + ": each Kafka cluster needs its own KMS key");
        }
        if (key.region() != null && !region.equals(key.region())) { // null: the KMS does not tell (the validation message says so)
            throw ApiException.invalid("/spec/region", "The key '" + keyId + "' is in region '" + key.region()
                    + "' but the cluster is in region '" + region + "': a cluster's key must be in the cluster's region");
        }
        String expectedCloud = switch (key.provider()) {
            case "AWS" -> "AWS";
            case "Azure" -> "AZURE";
            case "GCP" -> "GCP";
            case "Local" -> "LOCAL";
            default -> null;
        };
        if (expectedCloud != null && !expectedCloud.equals(cloud)) {
            throw ApiException.invalid("/spec/cloud", "The key '" + keyId + "' is a " + key.provider() + " key: the cluster's cloud must be "
                    + expectedCloud);
        }
    }

    /** Why a key could not be claimed; names its cluster only to a caller who sees the key. */
    private ApiException keyInUse(KeyViewer viewer, String keyId) {
        long now = api.now();
        KeyRow key = keyId == null ? null : keys.get(viewer, keyId, now).orElse(null);
        if (key != null && key.clusterId() != null) {
            return ApiException.conflict("key_in_use", "Key In Use", "The key '" + keyId + "' is already in use by cluster '"
                    + key.clusterId() + "': each cluster needs its own key");
        }
        if (key != null && key.holdUntil() != null && key.holdUntil() > now) {
            return ApiException.conflict("key_in_use", "Key In Use", "The key '" + keyId + "' is held until "
                    + Json.time(Instant.ofEpochMilli(key.holdUntil())) + " after its previous cluster was deleted");
        }
        return ApiException.conflict("key_in_use", "Key In Use", "The key '" + keyId + "' is no longer available");
    }

    private void patch(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        String id = ctx.pathParam("id");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", TOP);
        body.requiredObject("/spec");
        String env = body.requiredString("/spec/environment/id");
        environment(p, env, true, "/spec/environment/id");
        ClusterRow row = find(p, env, id);
        JsonNode spec = body.root().get("spec");
        String newKey = null;
        if (spec.has("byok")) {
            JsonNode b = spec.get("byok");
            String newId = b.isObject() && b.path("id").isTextual() ? b.get("id").asText() : null;
            if (newId == null || row.byokKeyId() == null) {
                throw ApiException.invalid("/spec/byok", "'/spec/byok' can not be changed" + (row.byokKeyId() == null
                        ? ": the cluster uses automatic encryption, fixed when it was created" : ": give '/spec/byok/id', the new key"));
            }
            if (!newId.equals(row.byokKeyId())) {
                newKey = newId;
            }
        }
        for (String field : List.of("availability", "cloud", "region", "config", "network", "deletion_protection")) {
            if (spec.has(field)) {
                throw ApiException.invalid("/spec/" + field, "'/spec/" + field + "' can not be changed through PATCH; only "
                        + "'/spec/display_name' and '/spec/byok' (a re-key) are writable");
            }
        }
        body.onlyFields("/spec", SPEC);
        String newName = body.has("/spec/display_name") ? name(body) : null;
        if (newKey != null) {
            // A Keyhold extension: an online re-key. The new key obeys the rules of a create.
            checkKey(p, newKey, row.cloud(), row.region());
            KeyRow k = keys.get(newKey).orElseThrow();
            rekey.rekey(p, row, new ClusterRuntime.KeyBinding(k.id(), KeyValidator.kmsKind(k.kind()), k.kmsRef()));
        }
        if (newName != null) {
            store.rename(id, newName, api.now());
        }
        ctx.json(render(find(p, env, id)));
    }

    private void delete(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        Paging.onlyParams(ctx, "cluster", Set.of("environment"));
        String env = ApiContext.requiredQuery(ctx, "environment");
        environment(p, env, true, null);
        String id = ctx.pathParam("id");
        deletion.delete(p, find(p, env, id)); // locked, removed, deprovisioned: see ClusterDeletion
        ctx.status(204);
    }

    private static String name(Body body) {
        String name = body.requiredString("/spec/display_name").trim();
        if (name.isEmpty() || name.length() > 255) {
            throw ApiException.invalid("/spec/display_name", "'/spec/display_name' must be 1 to 255 characters");
        }
        return name;
    }

    private static String oneOf(Body body, String pointer, List<String> allowed) {
        String v = body.requiredString(pointer).toUpperCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw ApiException.invalid(pointer, "'" + pointer + "' must be one of " + String.join(", ", allowed));
        }
        return v;
    }

    private static ObjectNode config(Body body) {
        body.requiredObject("/spec/config");
        String kind = body.requiredString("/spec/config/kind");
        if (!"Dedicated".equals(kind)) {
            throw ApiException.invalid("/spec/config/kind", "Keyhold runs Dedicated clusters only; '/spec/config/kind' must be Dedicated");
        }
        body.onlyFields("/spec/config", Set.of("kind", "cku", "zones", "encryption_key", "release_priority"));
        Integer cku = body.optionalInt("/spec/config/cku", 1, 152);
        if (cku == null) {
            throw ApiException.invalid("/spec/config/cku", "The property '/spec/config/cku' is required");
        }
        if (cku < 1 || cku > 152) {
            throw ApiException.invalid("/spec/config/cku", "'/spec/config/cku' must be from 1 to 152");
        }
        return Json.object().put("kind", "Dedicated").put("cku", cku);
    }

    private ClusterRuntime.Cluster descriptor(ClusterRow r) {
        ClusterRuntime.KeyBinding key = null;
        if (r.byokKeyId() != null) {
            KeyRow k = keys.get(r.byokKeyId()).orElseThrow();
            key = new ClusterRuntime.KeyBinding(k.id(), KeyValidator.kmsKind(k.kind()), k.kmsRef());
        }
        return new ClusterRuntime.Cluster(r.id(), r.orgId(), r.environmentId(), r.displayName(), r.cloud(), r.region(), key);
    }

    ObjectNode render(ClusterRow r) {
        String self = api.links().url(PATH + "/" + r.id());
        ObjectNode out = Json.object().put("api_version", "cmk/v2").put("kind", "Cluster").put("id", r.id());
        out.set("metadata", Json.meta(self, api.links().crn(r.orgId(), "environment=" + r.environmentId(), "cloud-cluster=" + r.id()),
                r.createdAt(), r.updatedAt()));
        ObjectNode spec = out.putObject("spec");
        spec.put("display_name", r.displayName());
        spec.put("availability", r.availability());
        spec.put("cloud", r.cloud());
        spec.put("region", r.region());
        spec.set("config", Json.parse(r.configJson()));
        Json.putIfPresent(spec, "kafka_bootstrap_endpoint", r.bootstrap());
        ObjectNode envRef = Json.ref(r.environmentId(), api.links().url("/org/v2/environments/" + r.environmentId()),
                api.links().crn(r.orgId(), "environment=" + r.environmentId()));
        spec.set("environment", envRef);
        KeyRow key = r.byokKeyId() == null ? null : keys.get(r.byokKeyId()).orElse(null);
        if (r.byokKeyId() != null) {
            spec.set("byok", Json.ref(r.byokKeyId(), api.links().url("/byok/v1/keys/" + r.byokKeyId()),
                    api.links().crn(r.orgId(), "key=" + r.byokKeyId())));
        }
        ObjectNode status = out.putObject("status");
        status.put("phase", r.phase());
        status.put("cku", Json.parse(r.configJson()).path("cku").asInt(1));
        Json.putIfPresent(status, "message", r.phaseMessage());
        if (r.kmsUnavailableSince() != null) {
            // Keyhold addition: the key's KMS cannot be reached (not a refusal); the cluster serves from
            // cached DEKs until the grace period ends, then locks (see docs/LIFECYCLE.md).
            ObjectNode kms = status.putObject("kms");
            kms.put("condition", "UNAVAILABLE");
            kms.put("unavailable_since", java.time.Instant.ofEpochMilli(r.kmsUnavailableSince()).toString());
            Json.putIfPresent(kms, "message", r.kmsProblem());
        }
        // Keyhold addition: the security settings, so that GET shows which key encrypts the cluster.
        ObjectNode enc = status.putObject("encryption");
        enc.put("mode", r.byokKeyId() == null ? "AUTOMATIC" : "SELF_MANAGED");
        if (key != null) {
            enc.put("key_id", key.id());
            enc.put("provider", key.provider());
            enc.put("key", key.ident());
        }
        // Keyhold addition: whether the endpoint is TLS, so that plaintext on a network shows where users look.
        ClusterRuntime.EndpointSecurity endpoint = runtime.endpointSecurity();
        if (endpoint != null) {
            status.put("endpoint_tls", endpoint.tls());
            status.put("endpoint_client_auth", endpoint.clientAuth());
            Json.putIfPresent(status, "endpoint_warning", endpoint.warning());
        }
        return out;
    }

    static String truncate(String s, int max) {
        return s.length() > max ? s.substring(0, max - 3) + "..." : s;
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
