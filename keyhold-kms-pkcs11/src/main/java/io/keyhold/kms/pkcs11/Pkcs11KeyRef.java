package io.keyhold.kms.pkcs11;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A key reference of the pkcs11 KMS (public: the control plane builds it from a key object's token and key labels): the PKCS#11 URI (RFC 7512) subset
 * {@code pkcs11:token=<token label>;object=<key label>}, both labels percent-encoded where RFC 7512
 * requires it (a {@code ;}, {@code /}, {@code %} or space in a label).
 *
 * <p>Versions are key objects of their own on the token (no PKCS#11 key has versions): version 1 is
 * the object labelled {@code <key label>}, version N &gt; 1 the object labelled
 * {@code <key label>.v<N>}. A key label that itself ends in {@code .v<digits>} is refused, so no
 * label is both a key and another key's version.
 */
public record Pkcs11KeyRef(String token, String label) {
    public static final String SCHEME = "pkcs11:";
    private static final Pattern VERSIONED = Pattern.compile(".*\\.v[0-9]+");
    /** PKCS#11 token labels are 32 bytes; CKA_LABEL has no limit, but HSMs do: 128 is generous. */
    private static final int MAX_TOKEN = 32, MAX_LABEL = 128;

    public Pkcs11KeyRef {
        if (token.isBlank() || utf8(token) > MAX_TOKEN) {
            throw new IllegalArgumentException("a PKCS#11 token label is 1.." + MAX_TOKEN + " bytes, got '" + token + "'");
        }
        if (label.isBlank() || utf8(label) > MAX_LABEL) {
            throw new IllegalArgumentException("a PKCS#11 key label is 1.." + MAX_LABEL + " bytes, got '" + label + "'");
        }
        if (VERSIONED.matcher(label).matches()) {
            throw new IllegalArgumentException("a PKCS#11 key label must not end in .v<number> (the labels of its rotated versions), got '"
                    + label + "'");
        }
    }

    /** Parses {@code pkcs11:token=...;object=...} (the two attributes in either order, nothing else). */
    public static Pkcs11KeyRef parse(String ref) {
        if (ref == null || !ref.startsWith(SCHEME)) {
            throw new IllegalArgumentException("a pkcs11 key reference is pkcs11:token=<token label>;object=<key label>, got '" + ref + "'");
        }
        String token = null;
        String object = null;
        for (String part : ref.substring(SCHEME.length()).split(";", -1)) {
            int eq = part.indexOf('=');
            String name = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? null : decode(part.substring(eq + 1), ref);
            if (name.equals("token") && token == null && value != null) {
                token = value;
            } else if (name.equals("object") && object == null && value != null) {
                object = value;
            } else {
                throw new IllegalArgumentException("a pkcs11 key reference has exactly token=<token label> and object=<key label>, got '" + ref + "'");
            }
        }
        if (token == null || object == null) {
            throw new IllegalArgumentException("a pkcs11 key reference needs token=<token label> and object=<key label>, got '" + ref + "'");
        }
        return new Pkcs11KeyRef(token, object);
    }

    /** The reference as text, the form {@link #parse} reads. */
    public String ref() {
        return SCHEME + "token=" + encode(token) + ";object=" + encode(label);
    }

    /** The CKA_LABEL of version {@code version} (1, 2, ...). */
    public String versionLabel(int version) {
        if (version < 1) {
            throw new IllegalArgumentException("pkcs11 key versions start at 1, got " + version);
        }
        return version == 1 ? label : label + ".v" + version;
    }

    /** The version a CKA_LABEL on the token is of this key, or 0 when it is no version of it. */
    public int versionOf(String objectLabel) {
        if (objectLabel.equals(label)) {
            return 1;
        }
        String prefix = label + ".v";
        if (!objectLabel.startsWith(prefix) || objectLabel.length() == prefix.length() || objectLabel.length() > prefix.length() + 9) {
            return 0;
        }
        String digits = objectLabel.substring(prefix.length());
        if (!digits.chars().allMatch(c -> c >= '0' && c <= '9') || digits.startsWith("0")) {
            return 0;
        }
        int v = Integer.parseInt(digits);
        return v >= 2 ? v : 0;
    }

    /** A KEK reference's version: a whole number from 1. */
    public static int parseVersion(String version) {
        try {
            int v = Integer.parseInt(version);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the message below says what is allowed
        }
        throw new IllegalArgumentException("a pkcs11 KEK version is a whole number from 1, got '" + version + "'");
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String encode(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            boolean plain = c > 0x20 && c < 0x7f && c != ';' && c != '/' && c != '%' && c != '?' && c != '#';
            b.append(plain ? String.valueOf((char) c) : String.format("%%%02X", c));
        }
        return b.toString();
    }

    private static String decode(String s, String ref) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                try {
                    out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("a pkcs11 key reference has a bad %-escape: '" + ref + "'");
                }
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
