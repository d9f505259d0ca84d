package io.keyhold.kms.azure.internal;

import com.azure.core.exception.HttpResponseException;
import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import java.io.IOException;
import java.util.Map;

/**
 * Key Vault's error body, {@code {"error":{"code":..,"message":..,"innererror":{"code":..}}}}, read
 * from an SDK exception (whose message carries the body as the service sent it).
 *
 * @param status HTTP status
 * @param code   e.g. {@code Forbidden}, {@code KeyNotFound}, {@code BadParameter}; "" when none
 * @param inner  e.g. {@code KeyDisabled}, {@code ForbiddenByRbac}; "" when none
 * @param text   the service's message; "" when none
 */
record VaultError(int status, String code, String inner, String text) {

    static VaultError of(HttpResponseException e) {
        int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
        String json = body(e);
        if (json != null) {
            try (JsonReader reader = JsonProviders.createReader(json)) {
                Object root = reader.readUntyped();
                Map<?, ?> error = map(root instanceof Map ? ((Map<?, ?>) root).get("error") : null);
                if (error != null) {
                    Map<?, ?> inner = map(error.get("innererror"));
                    return new VaultError(status, str(error.get("code")), inner == null ? "" : str(inner.get("code")),
                            str(error.get("message")));
                }
            } catch (IOException | RuntimeException notJson) {
                // fall through: an error without Key Vault's body (a proxy's, a gateway's)
            }
        }
        return new VaultError(status, "", "", "");
    }

    /** The body as text: the exception's value when it is one, else what its message quotes. */
    private static String body(HttpResponseException e) {
        if (e.getValue() instanceof String) {
            return (String) e.getValue();
        }
        String m = e.getMessage();
        if (m == null) {
            return null;
        }
        int start = m.indexOf("\"{");
        int end = m.lastIndexOf("}\"");
        return start >= 0 && end > start ? m.substring(start + 1, end + 1) : null;
    }

    private static Map<?, ?> map(Object o) {
        return o instanceof Map ? (Map<?, ?>) o : null;
    }

    private static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    /** "Forbidden (KeyDisabled): Operation wrapKey is not allowed on a disabled key." or "HTTP 503". */
    String describe() {
        if (code.isEmpty()) {
            return "HTTP " + status;
        }
        return code + (inner.isEmpty() ? "" : " (" + inner + ")") + (text.isEmpty() ? "" : ": " + text.strip());
    }
}
