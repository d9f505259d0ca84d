package io.keyhold.server.internal.keys;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.local.LocalKeyScope;
import io.keyhold.kms.local.LocalKmsException;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Json;
import io.keyhold.kms.audit.ProcessName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * {@code /keyhold/v1/local-kms/keys}: Keyhold's own API for the embedded local KMS of this server,
 * used by {@code keyhold kms key ...} when a server context is configured. Each organization works
 * in its own part of the store ({@link LocalKeys}): it sees and names only its keys, under their
 * short names; another organization's key is 404, like one that does not exist. The automatic keys
 * of clusters are not listed and can not be reached. Reading needs any role; changing keys needs
 * OrganizationAdmin, because a key's state decides whether clusters can read data. An
 * EnvironmentAdmin does not see the local keys of key objects it does not see ({@link KeyViewer}).
 */
public final class LocalKmsApi {
    private static final String PATH = "/keyhold/v1/local-kms/keys";

    private final ApiContext api;
    private final LocalKeys localKeys;
    private final KeyStore keys;

    public LocalKmsApi(ApiContext api, LocalKeys localKeys, KeyStore keys) {
        this.api = api;
        this.localKeys = localKeys;
        this.keys = keys;
    }

    public void register(Javalin app) {
        app.get(PATH, this::list);
        app.post(PATH, this::create);
        app.get(PATH + "/{name}", ctx -> read(ctx, LocalKeyScope::describeKey));
        app.post(PATH + "/{name}/rotate", ctx -> write(ctx, LocalKeyScope::rotateKey));
        app.post(PATH + "/{name}/disable", ctx -> write(ctx, LocalKeyScope::disable));
        app.post(PATH + "/{name}/enable", ctx -> write(ctx, LocalKeyScope::enable));
        app.post(PATH + "/{name}/cancel-deletion", ctx -> write(ctx, LocalKeyScope::cancelDeletion));
        app.post(PATH + "/{name}/destroy", this::destroy);
        app.post(PATH + "/{name}/schedule-deletion", ctx -> {
            Body body = ApiContext.body(ctx);
            body.onlyFields("", Set.of("waiting_period_days"));
            Integer days = body.optionalInt("/waiting_period_days");
            int d = days == null ? 30 : days;
            if (d < 0 || d > 365) {
                throw ApiException.invalid("/waiting_period_days", "'/waiting_period_days' must be from 0 to 365");
            }
            write(ctx, (scope, name) -> scope.scheduleDeletion(name, Duration.ofDays(d)));
        });
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("list local KMS keys");
        Paging.onlyParams(ctx, "local-kms-key", Set.of("page_size", "page_token"));
        Paging paging = Paging.of(ctx);
        LocalKeyScope scope = localKeys.scope(p.orgId());
        Set<String> hidden = hidden(p);
        List<KeyInfo> all = guard(scope::list).stream()
                .filter(k -> hidden.isEmpty() || !hidden.contains(scope.storeName(k.keyId()).orElse(""))).toList();
        ctx.json(api.list("keyhold/v1", "LocalKmsKeyList", paging, PATH, Map.of(), all.size(), paging.page(all), LocalKmsApi::render));
    }

    private void create(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgAdmin("create local KMS keys");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", Set.of("name"));
        String name = body.requiredString("/name");
        LocalKeyScope scope = localKeys.scope(p.orgId());
        KeyInfo k = guard(() -> scope.create(name));
        ctx.status(201).header("Location", api.links().url(PATH + "/" + k.keyId())).json(render(k));
    }

    private void read(Context ctx, BiFunction<LocalKeyScope, String, KeyInfo> op) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("read local KMS keys");
        LocalKeyScope scope = localKeys.scope(p.orgId());
        String name = ctx.pathParam("name");
        Set<String> hidden = hidden(p);
        if (!hidden.isEmpty() && hidden.contains(scope.storeName(name).orElse(""))) {
            throw ApiException.notFound("no local key named '" + abbreviate(name) + "'");
        }
        ctx.json(render(guard(() -> op.apply(scope, name))));
    }

    private void write(Context ctx, BiFunction<LocalKeyScope, String, KeyInfo> op) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgAdmin("change local KMS keys");
        LocalKeyScope scope = localKeys.scope(p.orgId());
        ctx.json(render(guard(() -> op.apply(scope, ctx.pathParam("name")))));
    }

    /**
     * Destroys a key for good (it must be scheduled for deletion first): crypto-shredding, since
     * every DEK it wrapped, and so every record under them, can never be opened again. Audited.
     */
    private void destroy(Context ctx) {
        write(ctx, LocalKeyScope::destroy);
        Principal p = ApiContext.principal(ctx);
        LocalKeyScope scope = localKeys.scope(p.orgId());
        String name = ctx.pathParam("name");
        String storeName = scope.storeName(name).orElse(name);
        KeyRow keyObject = keys.byKmsRef(p.orgId(), "LocalKey", storeName).orElse(null);
        api.config().audit().record(AuditEvent.of(AuditEventType.KEY_DESTROYED, ProcessName.of("server")).principal(p.apiKeyId())
                .organization(p.orgId()).cluster(keyObject == null ? null : keyObject.clusterId())
                .key(keyObject == null ? name : keyObject.id()).provider("local").operation("destroy").outcome("ok")
                .message("The local KMS key '" + name + "' was destroyed for good: every record encrypted under it is unreadable.")
                .build());
    }

    /** The store names the caller must not see: those of LocalKeys it does not see. */
    private Set<String> hidden(Principal p) {
        return Set.copyOf(keys.hiddenLocalReferences(KeyViewer.of(p), api.now()));
    }

    private static String abbreviate(String s) {
        return KeysApi.abbreviate(s);
    }

    private static <T> T guard(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (KmsDeniedException e) {
            if (e.reason() == KmsDeniedException.Reason.NOT_FOUND) {
                throw ApiException.notFound(e.getMessage());
            }
            throw ApiException.conflict("invalid_state", "Invalid Key State", e.getMessage());
        } catch (LocalKmsException e) {
            switch (e.kind()) {
                case NAME_TAKEN -> throw ApiException.alreadyExists(e.getMessage());
                case INVALID_STATE -> throw ApiException.conflict("invalid_state", "Invalid Key State", e.getMessage());
                case INVALID_NAME -> throw ApiException.invalid("/name", e.getMessage());
                default -> throw ApiException.of(503, "kms_unavailable", "Local KMS Unavailable", e.getMessage());
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("", e.getMessage());
        }
    }

    private static ObjectNode render(KeyInfo k) {
        ObjectNode o = Json.object().put("api_version", "keyhold/v1").put("kind", "LocalKmsKey").put("id", k.keyId());
        o.put("name", k.keyId());
        o.put("state", k.state().name());
        o.put("algorithm", k.algorithm());
        o.put("region", k.region());
        o.put("current_version", k.currentVersion());
        Json.putIfPresent(o, "created_at", Json.time(k.createdAt()));
        Json.putIfPresent(o, "deletion_date", Json.time(k.deletionDate()));
        return o;
    }
}
