package io.keyhold.kms.kmip.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A KMIP key reference as the {@code kmip} provider takes it: {@code <server>/<unique identifier>}
 * for one managed object, or {@code <server>/name:<name>} for the objects that carry a Name, the
 * newest Active of which wraps (so creating a newer object of that name rotates the key).
 * {@code <server>} is a server configured under {@code kms.kmip.<server>.*}.
 *
 * @param server the configured server's name
 * @param uid    the unique identifier, or null for a name reference
 * @param name   the Name to locate, or null for a unique identifier
 */
public record KmipKeyRef(String server, String uid, String name) {
    public static final String NAME_PREFIX = "name:";
    /** A configured server's name: also a settings prefix, so no dots. */
    public static final Pattern SERVER = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern REF = Pattern.compile("(" + SERVER.pattern() + ")/(\\p{Graph}[\\p{Graph} ]{0,254})");

    public static KmipKeyRef parse(String ref) {
        Matcher m = REF.matcher(ref == null ? "" : ref);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + ref + "' is not a KMIP key reference: expected <server>/<unique identifier> or"
                    + " <server>/name:<name>, where <server> is a configured KMIP server (lower case letters, digits, '-')");
        }
        String rest = m.group(2);
        if (rest.startsWith(NAME_PREFIX)) {
            String name = rest.substring(NAME_PREFIX.length());
            if (name.isBlank()) {
                throw new IllegalArgumentException("'" + ref + "' names no KMIP object: the name after 'name:' is empty");
            }
            return new KmipKeyRef(m.group(1), null, name);
        }
        return new KmipKeyRef(m.group(1), rest, null);
    }

    public static String ofUid(String server, String uid) {
        return server + "/" + uid;
    }

    public static String ofName(String server, String name) {
        return server + "/" + NAME_PREFIX + name;
    }

    public boolean byName() {
        return name != null;
    }

    @Override
    public String toString() {
        return byName() ? ofName(server, name) : ofUid(server, uid);
    }
}
