package io.keyhold.kms.kmip;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.kmip.internal.KeyAttributes;
import io.keyhold.kms.kmip.internal.KmipClient;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.internal.KmipErrors;
import io.keyhold.kms.kmip.internal.ProtocolVersion;
import io.keyhold.kms.kmip.internal.ServerSettings;
import java.util.List;
import java.util.function.Supplier;

/**
 * Admin operations on one configured KMIP server, for operators ({@code keyhold kmip ...}) and
 * tests: Create (an AES-256 key Keyhold can use: Encrypt and Decrypt in its usage mask), Activate,
 * Revoke, Destroy, Locate, and the State of an object. Settings are the provider's
 * ({@code <server>.address}, {@code .client-cert}, {@code .client-key}, {@code .ca},
 * {@code timeout-ms}, {@code max-version}); failures are the SPI's typed errors
 * ({@code KmsDeniedException} with {@code NOT_FOUND} for an unknown object, {@code KmsUnavailableException}
 * for an unreachable server).
 */
public final class KmipAdmin implements AutoCloseable {
    private final KmipClient client;

    private KmipAdmin(KmipClient client) {
        this.client = client;
    }

    /** @throws IllegalArgumentException when the settings do not configure {@code server} */
    public static KmipAdmin open(KmsConfig config, String server) {
        ProtocolVersion highest = ProtocolVersion.parse(config.get("max-version").orElse(ProtocolVersion.HIGHEST.toString()));
        return new KmipAdmin(new KmipClient(ServerSettings.read(server, config), highest));
    }

    /** The negotiated protocol version, e.g. {@code 2.0}. */
    public String version() {
        return call("Discover Versions", null, () -> client.version().toString());
    }

    /** A new Pre-Active AES-256 key with Encrypt and Decrypt, named {@code name} unless null; its unique identifier. */
    public String create(String name) {
        return call("Create", null, () -> client.create(name, KmipEnums.UsageMask.ENCRYPT | KmipEnums.UsageMask.DECRYPT));
    }

    public void activate(String uid) {
        call("Activate of " + uid, uid, () -> {
            client.activate(uid);
            return null;
        });
    }

    /** Revokes: the object becomes Deactivated, or Compromised when {@code compromised}; Keyhold then locks what it protects. */
    public void revoke(String uid, boolean compromised) {
        int reason = compromised ? KmipEnums.RevocationReasonCode.KEY_COMPROMISE : KmipEnums.RevocationReasonCode.CESSATION_OF_OPERATION;
        call("Revoke of " + uid, uid, () -> {
            client.revoke(uid, reason);
            return null;
        });
    }

    public void destroy(String uid) {
        call("Destroy of " + uid, uid, () -> {
            client.destroy(uid);
            return null;
        });
    }

    /** The unique identifiers of the objects named {@code name}. */
    public List<String> locate(String name) {
        return call("Locate of '" + name + "'", null, () -> client.locate(name));
    }

    /** The object's State, e.g. {@code Active}. */
    public String state(String uid) {
        KeyAttributes a = call("GetAttributes of " + uid, uid, () -> client.attributes(uid));
        return KmipEnums.State.name(a.state());
    }

    private <T> T call(String what, String uid, Supplier<T> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            throw KmipErrors.of(e, "KMIP " + what + " on " + client.server(), uid, client::attributes);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
