package io.keyhold.server.internal.keys;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.server.internal.audit.Audits;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /byok/v1/keys}: the contract's five calls, and Keyhold's {@code POST /byok/v1/keys/{id}/rotate}.
 * Keys also show Keyhold's {@code current_version} and {@code last_rotated_at}.
 */
public final class KeysApi {
    private static final String PATH = "/byok/v1/keys";
    private static final Set<String> LIST_PARAMS = Set.of("provider", "state", "validation_phase", "validation_region",
            "display_name", "key", "page_size", "page_token");
    private static final List<String> STATES = List.of("AVAILABLE", "IN_USE");
    private static final List<String> PHASES = List.of("INITIALIZING", "VALID", "INVALID");
    private static final Set<String> TOP_LEVEL = Set.of("api_version", "kind", "id", "metadata", "display_name", "key",
            "provider", "state", "validation", "current_version", "last_rotated_at");
    private static final int MAX_NAME = 255;

    private final ApiContext api;
    private final KeyStore store;
    private final KeyKinds kinds;
    private final KeyValidator validator;
    private final KeyRotation rotation;

    public KeysApi(ApiContext api, KeyStore store, KeyKinds kinds, KeyValidator validator, KeyRotation rotation) {
        this.api = api;
        this.store = store;
        this.kinds = kinds;
        this.validator = validator;
        this.rotation = rotation;
    }

    public void register(Javalin app) {
        ApiContext.crud(app, PATH, this::list, this::create, this::get, this::patch, this::delete);
        app.post(PATH + "/{id}/rotate", this::rotate);
    }

    /**
     * A new key version at the KMS, used for new DEKs from now on (a Keyhold extension). Only a VALID
     * key: a key Keyhold can not use can not be rotated through it either.
     */
    private void rotate(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireKeyManager("rotate keys");
        KeyRow row = find(p, ctx.pathParam("id"));
        if (!"VALID".equals(row.phase())) {
            throw ApiException.conflict("key_not_valid", "Key Not Valid", "The key '" + row.id() + "' is " + row.phase()
                    + ": only a VALID key can be rotated (" + abbreviate(row.message()) + ")");
        }
        try {
            rotation.rotate(row, p.serviceAccountId(), "rotated through the API with API key " + p.apiKeyId());
        } catch (UnsupportedOperationException e) {
            throw ApiException.conflict("rotation_not_supported", "Rotation Not Supported", "The KMS can not rotate this key on "
                    + "demand: " + e.getMessage() + ". Rotate it in the KMS itself: Keyhold notices the new version within one "
                    + "health interval.");
        } catch (KmsDeniedException e) {
            throw ApiException.conflict("kms_denied", "KMS Refused", "The KMS refused to rotate the key: "
                    + KeyValidator.deniedMessage(e));
        } catch (KmsUnavailableException e) {
            throw ApiException.of(503, "kms_unavailable", "KMS Unavailable", "The KMS could not be reached; try again: "
                    + e.getMessage());
        }
        ctx.json(render(find(p, row.id()), api.now()));
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("list keys");
        Paging.onlyParams(ctx, "key", LIST_PARAMS);
        Map<String, String> filters = new LinkedHashMap<>();
        for (String name : List.of("provider", "state", "validation_phase", "validation_region", "display_name", "key")) {
            String v = ctx.queryParam(name);
            if (v != null) {
                if (v.length() > 1024) {
                    throw ApiException.invalidFilter(name, "The filter '" + name + "' is too long");
                }
                filters.put(name, v);
            }
        }
        check(filters, "provider", KeyKinds.PROVIDERS);
        check(filters, "state", STATES);
        check(filters, "validation_phase", PHASES);
        Paging paging = Paging.of(ctx);
        long now = api.now();
        KeyStore.Filter f = new KeyStore.Filter(filters.get("provider"), filters.get("state"), filters.get("validation_phase"),
                filters.get("validation_region"), filters.get("display_name"), filters.get("key"));
        KeyViewer viewer = KeyViewer.of(p);
        long total = store.count(viewer, f, now);
        List<KeyRow> rows = store.list(viewer, f, now, paging.offset(), paging.size());
        ctx.json(api.list("byok/v1", "KeyList", paging, PATH, filters, total, rows, r -> render(r, now)));
    }

    private static void check(Map<String, String> filters, String name, List<String> allowed) {
        String v = filters.get(name);
        if (v != null && !allowed.contains(v)) {
            throw ApiException.invalidFilter(name, "Invalid value '" + abbreviate(v) + "' for filter '" + name
                    + "'; expected one of " + String.join(", ", allowed));
        }
    }

    private void create(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireKeyManager("create keys");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", TOP_LEVEL);
        String displayName = displayName(body);
        KeySpec spec = kinds.parse(body, p.orgId());
        long now = api.now();
        KeyRow row;
        try {
            row = store.insert(p.orgId(), displayName == null ? "" : displayName, spec,
                            "Validation of the key through its KMS has not finished yet.", now, api.config().maxKeysPerOrg())
                    .orElseThrow(() -> ApiException.quotaExceeded("BYOK Keys Per Organization Quota Exceeded",
                            "The request would exceed the quota: byok.max_keys.per_org (" + api.config().maxKeysPerOrg() + ")"));
        } catch (KeyStore.IdentityHeld e) {
            throw ApiException.conflict("resource_already_exists", "Key Already Registered", "The KMS key '" + abbreviate(spec.ident())
                    + "' is already registered " + holderText(KeyViewer.of(p), e.holder, now) + ". Each Kafka cluster needs its own "
                    + "KMS key, so a KMS key can be registered only once in this Keyhold server, until the key object that holds it "
                    + "is deleted (after its cluster's release hold).");
        }
        validator.submit(row.id());
        ObjectNode json = render(row, now);
        ctx.status(201).header("Location", json.path("metadata").path("self").asText()).json(json);
    }

    /**
     * Names the key object that holds a KMS key, when the caller may see it; otherwise says only that
     * it exists, so that another organization's or another environment's keys stay unseen.
     */
    public static String holderText(KeyViewer viewer, KeyRow holder, long now) {
        if (holder != null && viewer.sees(holder, now)) {
            return "as key '" + holder.id() + "'" + (holder.displayName().isEmpty() ? "" : " (\"" + abbreviate(holder.displayName()) + "\")");
        }
        return "by another key object that you can not see (of another organization, or claimed by a cluster of an environment you "
                + "do not manage)";
    }

    private static String displayName(Body body) {
        String name = body.optionalString("/display_name");
        if (name != null && name.length() > MAX_NAME) {
            throw ApiException.invalid("/display_name", "'/display_name' must be at most " + MAX_NAME + " characters");
        }
        return name;
    }

    private void get(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("read keys");
        ctx.json(render(find(p, ctx.pathParam("id")), api.now()));
    }

    private void patch(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireKeyManager("update keys");
        String id = ctx.pathParam("id");
        Body body = ApiContext.body(ctx);
        find(p, id);
        if (body.has("/key")) {
            throw ApiException.invalid("/key", "The property '/key' is immutable; only '/display_name' can be updated");
        }
        body.onlyFields("", TOP_LEVEL);
        String name = displayName(body);
        if (name != null) {
            store.rename(p.orgId(), id, name, api.now());
        }
        ctx.json(render(find(p, id), api.now()));
    }

    private void delete(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireKeyManager("delete keys");
        String id = ctx.pathParam("id");
        long now = api.now();
        find(p, id);
        if (!store.deleteIfFree(p.orgId(), id, now)) {
            KeyRow current = find(p, id);
            if (current.clusterId() != null) {
                throw ApiException.conflict("key_in_use", "Key In Use", "The key '" + id + "' is in use by cluster '"
                        + current.clusterId() + "'; delete the cluster first, then wait for the release hold to end");
            }
            throw ApiException.conflict("key_in_use", "Key In Use", "The key '" + id + "' is held until "
                    + Json.time(Instant.ofEpochMilli(current.holdUntil())) + " after its cluster was deleted; it can be deleted after that");
        }
        api.config().audit().record(Audits.by(p, AuditEventType.KEY_DELETED).key(id).message("key object " + id
                + " deleted with API key " + p.apiKeyId() + "; its KMS key may back a new key object").build());
        ctx.status(204);
    }

    /** The key, when the caller sees it (see {@link KeyViewer}); 404 otherwise, as for a key that does not exist. */
    private KeyRow find(Principal p, String id) {
        if (id.length() > 255) {
            throw ApiException.notFound("The key was not found");
        }
        return store.get(KeyViewer.of(p), id, api.now())
                .orElseThrow(() -> ApiException.notFound("The key '" + abbreviate(id) + "' was not found"));
    }

    ObjectNode render(KeyRow r, long now) {
        ObjectNode out = Json.object().put("api_version", "byok/v1").put("kind", "Key").put("id", r.id());
        ObjectNode meta = out.putObject("metadata");
        meta.put("self", api.links().url(PATH + "/" + r.id()));
        meta.put("resource_name", api.links().crn(r.orgId(), "key=" + r.id()));
        meta.put("created_at", Json.time(Instant.ofEpochMilli(r.createdAt())));
        meta.put("updated_at", Json.time(Instant.ofEpochMilli(r.updatedAt())));
        out.put("display_name", r.displayName());
        out.set("key", kinds.render(r.keyJson()));
        out.put("provider", r.provider());
        out.put("state", r.inUse(now) ? "IN_USE" : "AVAILABLE");
        ObjectNode v = out.putObject("validation");
        v.put("phase", r.phase());
        v.put("since", Json.time(Instant.ofEpochMilli(r.since())));
        v.put("message", r.message());
        Json.putIfPresent(v, "region", r.region());
        // Keyhold extensions (no field of the contract has these names): null until known / never rotated.
        out.put("current_version", r.currentVersion());
        out.put("last_rotated_at", r.lastRotatedAt() == null ? null : Json.time(Instant.ofEpochMilli(r.lastRotatedAt())));
        return out;
    }

    static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
