package io.keyhold.secrets.internal;

/** The escapes of {@code .properties} keys and values, read as {@link java.util.Properties} reads them. */
final class PropertiesEscapes {
    private PropertiesEscapes() {
    }

    /**
     * Key text for a name. {@link KeySyntax#JAVA}: what {@code Properties.store} writes.
     * {@link KeySyntax#ESCAPED_DOTS_KEPT}: what Confluent's CLI writes ({@code \.} as is, {@code ' '}
     * and {@code ':'} escaped, {@code '#'} and {@code '!'} escaped only where they would start a
     * comment), except where Confluent's text would read back as another name, in its reader and
     * in ours: a backslash that does not escape a dot is doubled, {@code '='} is escaped, and
     * anything outside printable ASCII is a {@code \\uXXXX} escape (readers disagree on the
     * charset of raw bytes; every reader decodes the escape alike).
     */
    static String escapeKey(String key, KeySyntax syntax) {
        boolean jsonPaths = syntax == KeySyntax.ESCAPED_DOTS_KEPT;
        StringBuilder out = new StringBuilder(key.length() + 8);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (jsonPaths && c == '\\' && i + 1 < key.length() && key.charAt(i + 1) == '.') {
                out.append("\\.");
                i++;
            } else if (c == ' ' || c == ':' || c == '=') {
                out.append('\\').append(c);
            } else if (c == '#' || c == '!') {
                out.append(jsonPaths && i > 0 ? "" : "\\").append(c);
            } else {
                appendCommon(out, c);
            }
        }
        return out.toString();
    }

    /** Value text: only what would otherwise read differently is escaped (and a leading blank). */
    static String escapeValue(String value) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ' ') {
                out.append(i == 0 ? "\\ " : " ");
            } else {
                appendCommon(out, c);
            }
        }
        return out.toString();
    }

    private static void appendCommon(StringBuilder out, char c) {
        switch (c) {
            case '\\' -> out.append("\\\\");
            case '\t' -> out.append("\\t");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\f' -> out.append("\\f");
            default -> {
                // Kafka reads server.properties as ISO-8859-1: keep what we write ASCII.
                if (c < 0x20 || c > 0x7e) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
    }

    /**
     * Appends the character escaped at {@code s[i]} (a backslash followed by at least one
     * character) and returns the index after the escape. {@code keepEscapedDot}: {@code \.} is
     * appended as the two characters it is ({@link KeySyntax#ESCAPED_DOTS_KEPT}).
     */
    static int unescape(String s, int i, StringBuilder out, boolean keepEscapedDot) {
        char c = s.charAt(i + 1);
        switch (c) {
            case 't' -> out.append('\t');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 'f' -> out.append('\f');
            case '.' -> out.append(keepEscapedDot ? "\\." : ".");
            case 'u' -> {
                // Exactly four hex digits, as java.util.Properties demands (no sign, no fewer).
                if (i + 6 > s.length()) {
                    throw malformedUnicode();
                }
                int code = 0;
                for (int j = i + 2; j < i + 6; j++) {
                    int digit = hexDigit(s.charAt(j));
                    if (digit < 0) {
                        throw malformedUnicode();
                    }
                    code = code * 16 + digit;
                }
                out.append((char) code);
                return i + 6;
            }
            default -> out.append(c);
        }
        return i + 2;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static SecretsException malformedUnicode() {
        return new SecretsException("malformed \\uXXXX escape in a properties file",
                "Fix the escape sequence and try again.");
    }
}
