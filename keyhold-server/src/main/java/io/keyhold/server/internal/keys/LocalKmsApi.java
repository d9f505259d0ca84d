package io.keyhold.server.internal.keys;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsException;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiContext;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.http.Paging;
import io.keyhold.server.internal.util.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code /keyhold/v1/local-kms/keys}: Keyhold's own API for the embedded local KMS of this server,
 * used by {@code keyhold kms key ...} when a server context is configured. Reading needs any role;
 * changing keys needs OrganizationAdmin, because a key's state decides whether clusters can read data.
 */
public final class LocalKmsApi {
    private static final String PATH = "/keyhold/v1/local-kms/keys";

    private final ApiContext api;
    private final KmsRegistry kms;

    public LocalKmsApi(ApiContext api, KmsRegistry kms) {
        this.api = api;
        this.kms = kms;
    }

    public void register(Javalin app) {
        app.get(PATH, this::list);
        app.post(PATH, this::create);
        app.get(PATH + "/{name}", ctx -> read(ctx, k -> k.describeKey(ctx.pathParam("name"))));
        app.post(PATH + "/{name}/rotate", ctx -> write(ctx, k -> k.rotateKey(ctx.pathParam("name"))));
        app.post(PATH + "/{name}/disable", ctx -> write(ctx, k -> k.disable(ctx.pathParam("name"))));
        app.post(PATH + "/{name}/enable", ctx -> write(ctx, k -> k.enable(ctx.pathParam("name"))));
        app.post(PATH + "/{name}/cancel-deletion", ctx -> write(ctx, k -> k.cancelDeletion(ctx.pathParam("name"))));
        app.post(PATH + "/{name}/destroy", ctx -> write(ctx, k -> k.destroy(ctx.pathParam("name"))));
        app.post(PATH + "/{name}/schedule-deletion", ctx -> {
            Body body = ApiContext.body(ctx);
            body.onlyFields("", Set.of("waiting_period_days"));
            Integer days = body.optionalInt("/waiting_period_days");
            int d = days == null ? 30 : days;
            if (d < 0 || d > 365) {
                throw ApiException.invalid("/waiting_period_days", "'/waiting_period_days' must be from 0 to 365");
            }
            write(ctx, k -> k.scheduleDeletion(ctx.pathParam("name"), Duration.ofDays(d)));
        });
    }

    private LocalKms local() {
        try {
            return kms.unwrapped(LocalKms.KIND, LocalKms.class);
        } catch (IllegalArgumentException | LocalKmsException e) {
            throw ApiException.of(503, "kms_unavailable", "Local KMS Unavailable", "The local KMS could not be opened: " + e.getMessage());
        }
    }

    private void list(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgReader("list local KMS keys");
        Paging.onlyParams(ctx, "local-kms-key", Set.of("page_size", "page_token"));
        Paging paging = Paging.of(ctx);
        List<KeyInfo> all = guard(() -> local().list());
        ctx.json(api.list("keyhold/v1", "LocalKmsKeyList", paging, PATH, Map.of(), all.size(), paging.page(all), LocalKmsApi::render));
    }

    private void create(Context ctx) {
        Principal p = ApiContext.principal(ctx);
        p.requireOrgAdmin("create local KMS keys");
        Body body = ApiContext.body(ctx);
        body.onlyFields("", Set.of("name"));
        String name = body.requiredString("/name");
        KeyInfo k = guard(() -> local().create(name));
        ctx.status(201).header("Location", api.links().url(PATH + "/" + k.keyId())).json(render(k));
    }

    private void read(Context ctx, Function<LocalKms, KeyInfo> op) {
        ApiContext.principal(ctx).requireOrgReader("read local KMS keys");
        ctx.json(render(guard(() -> op.apply(local()))));
    }

    private void write(Context ctx, Function<LocalKms, KeyInfo> op) {
        ApiContext.principal(ctx).requireOrgAdmin("change local KMS keys");
        ctx.json(render(guard(() -> op.apply(local()))));
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
