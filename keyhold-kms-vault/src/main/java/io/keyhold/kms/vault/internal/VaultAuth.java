package io.keyhold.kms.vault.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.KmsDeniedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The token Keyhold sends. Token auth: the token as the settings give it, read afresh each time (a
 * rotated file is picked up). AppRole: a login with the role id and secret id, renewed
 * ({@code auth/token/renew-self}) once two thirds of its lease have passed and logged in again when
 * renewal fails or the token was refused; the token is never logged.
 */
public final class VaultAuth {
    private final VaultSettings settings;
    private final VaultHttp http;
    private final Clock clock;
    private String token;
    private Instant renewAt;
    private Instant expiresAt;

    public VaultAuth(VaultSettings settings, VaultHttp http, Clock clock) {
        this.settings = settings;
        this.http = http;
        this.clock = clock;
    }

    /** A token to call Vault with now. */
    public synchronized String token() {
        if (settings.auth() == VaultSettings.AuthMethod.TOKEN) {
            return settings.token();
        }
        Instant now = clock.instant();
        if (token == null || !now.isBefore(expiresAt)) {
            login();
        } else if (!now.isBefore(renewAt)) {
            renewOrLogin();
        }
        return token;
    }

    /** The token was refused: an AppRole token is dropped so the next call logs in again; whether a retry can help. */
    public synchronized boolean refused(String used) {
        if (settings.auth() == VaultSettings.AuthMethod.APPROLE && used != null && used.equals(token)) {
            token = null;
            return true;
        }
        return false;
    }

    private void login() {
        VaultHttp.Response r = http.call("POST", "auth/" + settings.approleMount() + "/login",
                VaultHttp.JSON.createObjectNode().put("role_id", settings.roleId()).put("secret_id", settings.secretId()), null);
        if (!r.ok()) {
            if (r.status() == 400 || r.status() == 403) {
                throw new KmsDeniedException(KmsDeniedException.Reason.ACCESS_DENIED, "Vault refused Keyhold's AppRole login at auth/"
                        + settings.approleMount() + " (HTTP " + r.status() + "): check the role id and secret id");
            }
            throw VaultErrors.unavailable("AppRole login", r);
        }
        take(r.body().path("auth"));
    }

    private void renewOrLogin() {
        VaultHttp.Response r = http.call("POST", "auth/token/renew-self", VaultHttp.JSON.createObjectNode(), token);
        if (r.ok() && r.body().path("auth").path("client_token").isTextual()) {
            take(r.body().path("auth"));
        } else {
            login();
        }
    }

    private void take(JsonNode auth) {
        String t = auth.path("client_token").asText("");
        if (t.isEmpty()) {
            throw VaultErrors.unavailable("AppRole login", new VaultHttp.Response(500, auth));
        }
        long lease = Math.max(1, auth.path("lease_duration").asLong(0));
        Instant now = clock.instant();
        token = t;
        expiresAt = auth.path("lease_duration").asLong(0) == 0 ? Instant.MAX : now.plusSeconds(lease);
        renewAt = expiresAt == Instant.MAX ? Instant.MAX : now.plus(Duration.ofSeconds(lease).multipliedBy(2).dividedBy(3));
    }
}
