package io.keyhold.kms.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.vault.internal.TransitKeys;
import io.keyhold.kms.vault.internal.VaultAuth;
import io.keyhold.kms.vault.internal.VaultErrors;
import io.keyhold.kms.vault.internal.VaultHttp;
import io.keyhold.kms.vault.internal.VaultSettings;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A connection to a HashiCorp Vault or OpenBao Transit secrets engine over its HTTP API (the JDK
 * HttpClient, on {@link BlockingKms}'s threads). Key references are {@code <mount>/keys/<name>}
 * ({@link VaultKeyRef}). A DEK is made by Keyhold and sent to {@code encrypt} with the encryption
 * context's canonical bytes as {@code associated_data} (AEAD keys bind it without key derivation);
 * the EDEK is the ciphertext's payload (nonce, sealed DEK, tag) and the KEK reference's version is
 * the key version Vault names in {@code vault:v<N>:}. {@code decrypt} with an older version works
 * while it is at or above the key's {@code min_decryption_version}; below it is denied. See
 * docs/kms/vault.md.
 */
public final class VaultKms extends BlockingKms {
    public static final String KIND = "vault";
    private static final Pattern CIPHERTEXT = Pattern.compile("vault:v([1-9][0-9]{0,9}):([A-Za-z0-9+/=]+)");

    private final VaultHttp http;
    private final VaultAuth auth;
    /** What the last describe of each reference read, for {@link #keyProblems} (no I/O on the caller's thread). */
    private final ConcurrentMap<String, List<String>> problems = new ConcurrentHashMap<>();

    VaultKms(VaultSettings settings, Clock clock) {
        super(KIND, settings.threads());
        this.http = new VaultHttp(settings);
        this.auth = new VaultAuth(settings, http, clock);
    }

    /** Opens a connection with the settings described in docs/kms/vault.md ({@code address}, token or AppRole, {@code ca-file}, ...). */
    public static VaultKms open(KmsConfig config) {
        return new VaultKms(VaultSettings.from(config), Clock.systemUTC());
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    protected KeyInfo describeBlocking(String keyRef) {
        VaultKeyRef ref = VaultKeyRef.parse(keyRef);
        JsonNode key = call("read key", ref, "GET", ref.path("keys"), null).path("data");
        boolean usable = !TransitKeys.disabledByPolicy(capabilities(ref));
        problems.put(keyRef, TransitKeys.problems(key));
        return new KeyInfo(keyId(ref), usable ? KeyState.ENABLED : KeyState.DISABLED, key.path("type").asText("unknown"),
                KeyInfo.UNKNOWN_REGION, Long.toString(key.path("latest_version").asLong()), true, null, null);
    }

    /** The key's type, derivation, deletion_allowed and usage, as {@link TransitKeys} words them. */
    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return super.keyProblems(keyRef).thenApply(state -> { // its describe recorded the key's problems
            List<String> own = problems.getOrDefault(keyRef, List.of());
            return own.isEmpty() ? state : own;
        });
    }

    @Override
    protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
        return generateByWrapping(keyRef, context);
    }

    /** Transit's {@code encrypt} of the key, the context as {@code associated_data}; records name the version it answers. */
    @Override
    protected WrappedKey wrapBlocking(String keyRef, DataKey key, EncryptionContext context) {
        VaultKeyRef ref = VaultKeyRef.parse(keyRef);
        // the base64 string of the plaintext is immutable: left to the garbage collector, like the HTTP client's buffers
        ObjectNode body = key.withKeyBytes(bytes -> VaultHttp.JSON.createObjectNode().put("plaintext", Base64.getEncoder().encodeToString(bytes)))
                .put("associated_data", Base64.getEncoder().encodeToString(context.canonicalBytes()));
        String ciphertext = call("encrypt", ref, "POST", ref.path("encrypt"), body).path("data").path("ciphertext").asText("");
        Matcher m = CIPHERTEXT.matcher(ciphertext);
        if (!m.matches()) {
            throw new KmsDeniedException(Reason.INVALID_KEY, "Vault's encrypt on " + ref.ref() + " answered no vault:v<N>: ciphertext");
        }
        return new WrappedKey(new KekRef(KIND, keyRef, m.group(1)), Base64.getDecoder().decode(m.group(2)));
    }

    @Override
    protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
        if (!KIND.equals(kek.provider())) {
            throw new IllegalArgumentException("not a vault key: " + kek);
        }
        VaultKeyRef ref = VaultKeyRef.parse(kek.keyId());
        if (!kek.keyVersion().matches("[1-9][0-9]{0,9}")) {
            throw new IllegalArgumentException("a vault KEK version is a whole number from 1, got '" + kek.keyVersion() + "'");
        }
        ObjectNode body = VaultHttp.JSON.createObjectNode()
                .put("ciphertext", "vault:v" + kek.keyVersion() + ":" + Base64.getEncoder().encodeToString(edek))
                .put("associated_data", Base64.getEncoder().encodeToString(context.canonicalBytes()));
        String plaintext = call("decrypt", ref, "POST", ref.path("decrypt"), body).path("data").path("plaintext").asText("");
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(plaintext);
        } catch (IllegalArgumentException e) {
            throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "Vault's decrypt on " + ref.ref() + " answered no base64 plaintext");
        }
        if (bytes.length != DataKey.LENGTH) {
            java.util.Arrays.fill(bytes, (byte) 0);
            throw new KmsDeniedException(Reason.INVALID_CIPHERTEXT, "the wrapped DEK is not a Keyhold data key of " + ref.ref());
        }
        return DataKey.fromBytesWipingSource(bytes);
    }

    /** {@code keys/<name>/rotate}: a new key version that encrypts from now on. */
    @Override
    protected KeyInfo rotateBlocking(String keyRef) {
        VaultKeyRef ref = VaultKeyRef.parse(keyRef);
        call("rotate", ref, "POST", ref.path("keys") + "/rotate", VaultHttp.JSON.createObjectNode());
        return describeBlocking(keyRef);
    }

    @Override
    protected void closeBlocking() {
        problems.clear();
    }

    /** The key's identity: the namespace (if any), the mount and the name, as Vault resolves them for this server. */
    private String keyId(VaultKeyRef ref) {
        return http.namespace().map(ns -> ns + "/").orElse("") + ref.ref();
    }

    /** One call, with the token; a 403 is judged by what the token may still do, an AppRole token refused once is renewed and retried. */
    private JsonNode call(String op, VaultKeyRef ref, String method, String path, ObjectNode body) {
        for (int attempt = 0; ; attempt++) {
            String token = auth.token();
            VaultHttp.Response r = http.call(method, path, body, token);
            if (r.ok()) {
                return r.body();
            }
            if (r.status() == 403) {
                if (attempt == 0 && auth.refused(token)) {
                    continue;
                }
                if (!path.equals(ref.path("keys")) && http.call("GET", ref.path("keys"), null, token).status() == 404) {
                    // a policy without "create" makes encrypt on a missing key a 403: the key is gone, not Keyhold's access
                    throw new KmsDeniedException(Reason.NOT_FOUND, "Vault has no Transit key " + ref.ref());
                }
                if (!path.equals(ref.path("keys")) && TransitKeys.disabledByPolicy(capabilities(ref))) {
                    throw new KmsDeniedException(Reason.DISABLED, "Vault's policy lets Keyhold read " + ref.ref()
                            + " but neither encrypt nor decrypt with it: the key is disabled for Keyhold");
                }
                throw new KmsDeniedException(Reason.ACCESS_DENIED, "Vault refused " + op + " on " + ref.ref() + " (HTTP 403: "
                        + "Keyhold's token or policy does not allow " + path + ")");
            }
            throw VaultErrors.map(op, ref.ref(), r);
        }
    }

    /** What Keyhold's token may do on the key's paths ({@code sys/capabilities-self}); empty when Vault does not say. */
    private JsonNode capabilities(VaultKeyRef ref) {
        ObjectNode body = VaultHttp.JSON.createObjectNode();
        body.putArray("paths").add(ref.path("keys")).add(ref.path("encrypt")).add(ref.path("decrypt"));
        VaultHttp.Response r = http.call("POST", "sys/capabilities-self", body, auth.token());
        return r.ok() ? TransitKeys.capabilitiesOf(r.body(), ref) : VaultHttp.JSON.createObjectNode();
    }
}
