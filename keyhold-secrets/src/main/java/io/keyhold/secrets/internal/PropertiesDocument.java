package io.keyhold.secrets.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .properties} file edited in place: comments, blank lines, key order and the exact text
 * of every untouched line survive a round trip byte for byte. Keys and values are read with
 * {@link java.util.Properties} semantics (escapes, continuation lines); changed or new entries are
 * written as {@code key = value}.
 */
public final class PropertiesDocument {
    private final List<Line> lines = new ArrayList<>();
    private final Charset charset;
    private final String newline;

    private PropertiesDocument(Charset charset, String newline) {
        this.charset = charset;
        this.newline = newline;
    }

    public static PropertiesDocument empty() {
        return new PropertiesDocument(StandardCharsets.UTF_8, "\n");
    }

    /**
     * Parses file bytes. UTF-8 when the bytes are valid UTF-8, otherwise ISO-8859-1 (what
     * {@code Properties.load(InputStream)} assumes); either way the same charset writes back
     * identical bytes for every untouched line.
     */
    public static PropertiesDocument parse(byte[] bytes) {
        Charset charset = StandardCharsets.UTF_8;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            charset = StandardCharsets.ISO_8859_1;
            text = new String(bytes, charset);
        }
        PropertiesDocument doc = new PropertiesDocument(charset, text.contains("\r\n") ? "\r\n" : "\n");
        doc.parseText(text);
        return doc;
    }

    private void parseText(String text) {
        int pos = 0;
        while (pos < text.length()) {
            // A logical line runs on while a physical line ends in an odd number of backslashes.
            int start = pos;
            StringBuilder logical = new StringBuilder();
            boolean first = true;
            while (true) {
                int end = lineEnd(text, pos);
                String physical = text.substring(pos, end);
                pos = skipTerminator(text, end);
                String content = first ? physical : stripLeading(physical);
                boolean isComment = first && isCommentOrBlank(physical);
                first = false;
                if (!isComment && endsWithOddBackslashes(content) && pos < text.length()) {
                    logical.append(content, 0, content.length() - 1);
                    continue;
                }
                logical.append(content);
                break;
            }
            lines.add(Line.parse(text.substring(start, pos), logical.toString()));
        }
    }

    private static int lineEnd(String text, int from) {
        int i = from;
        while (i < text.length() && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    private static int skipTerminator(String text, int end) {
        if (end < text.length() && text.charAt(end) == '\r') {
            end++;
        }
        if (end < text.length() && text.charAt(end) == '\n') {
            end++;
        }
        return end;
    }

    private static boolean isCommentOrBlank(String physical) {
        String s = stripLeading(physical);
        return s.isEmpty() || s.charAt(0) == '#' || s.charAt(0) == '!';
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\f')) {
            i++;
        }
        return s.substring(i);
    }

    private static boolean endsWithOddBackslashes(String s) {
        int count = 0;
        for (int i = s.length() - 1; i >= 0 && s.charAt(i) == '\\'; i--) {
            count++;
        }
        return count % 2 == 1;
    }

    /** The value of a key (the last one wins, as in {@link java.util.Properties}), or null. */
    public String get(String key) {
        Line line = last(key);
        return line == null ? null : line.value;
    }

    public boolean contains(String key) {
        return last(key) != null;
    }

    /** Every key and value in file order; for a repeated key, its last value at its first place. */
    public Map<String, String> entries() {
        Map<String, String> result = new LinkedHashMap<>();
        for (Line line : lines) {
            if (line.key != null) {
                result.put(line.key, line.value);
            }
        }
        return result;
    }

    /** Replaces the value of the key in place, or appends {@code key = value} at the end. */
    public void set(String key, String value) {
        Line line = last(key);
        String text = escapeKey(key) + " = " + escapeValue(value);
        if (line != null) {
            int index = lines.indexOf(line);
            String terminator = terminatorOf(line.raw);
            lines.set(index, new Line(text + terminator, key, value));
            return;
        }
        if (!lines.isEmpty()) {
            Line lastLine = lines.get(lines.size() - 1);
            if (terminatorOf(lastLine.raw).isEmpty()) {
                lines.set(lines.size() - 1, new Line(lastLine.raw + newline, lastLine.key, lastLine.value));
            }
        }
        lines.add(new Line(text + newline, key, value));
    }

    /** Removes every line of the key; returns whether there was one. */
    public boolean remove(String key) {
        return lines.removeIf(line -> key.equals(line.key));
    }

    public byte[] toBytes() {
        StringBuilder out = new StringBuilder();
        for (Line line : lines) {
            out.append(line.raw);
        }
        return out.toString().getBytes(charset);
    }

    private Line last(String key) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (key.equals(lines.get(i).key)) {
                return lines.get(i);
            }
        }
        return null;
    }

    private static String terminatorOf(String raw) {
        if (raw.endsWith("\r\n")) {
            return "\r\n";
        }
        if (raw.endsWith("\n") || raw.endsWith("\r")) {
            return raw.substring(raw.length() - 1);
        }
        return "";
    }

    static String escapeKey(String key) {
        return escape(key, true);
    }

    static String escapeValue(String value) {
        return escape(value, false);
    }

    private static String escape(String s, boolean isKey) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\f' -> out.append("\\f");
                case ' ' -> out.append(isKey || i == 0 ? "\\ " : " ");
                case '=', ':', '#', '!' -> out.append(isKey ? "\\" + c : String.valueOf(c));
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
        return out.toString();
    }

    /** One logical line: its raw text (with terminator and continuations) and, for an entry, its key and value. */
    private static final class Line {
        final String raw;
        final String key;
        final String value;

        Line(String raw, String key, String value) {
            this.raw = raw;
            this.key = key;
            this.value = value;
        }

        static Line parse(String raw, String logical) {
            String s = stripLeading(logical);
            if (s.isEmpty() || s.charAt(0) == '#' || s.charAt(0) == '!') {
                return new Line(raw, null, null);
            }
            int i = 0;
            StringBuilder key = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    i = unescape(s, i, key);
                    continue;
                }
                if (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') {
                    break;
                }
                key.append(c);
                i++;
            }
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\f')) {
                i++;
            }
            if (i < s.length() && (s.charAt(i) == '=' || s.charAt(i) == ':')) {
                i++;
            }
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\f')) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            while (i < s.length()) {
                if (s.charAt(i) == '\\' && i + 1 < s.length()) {
                    i = unescape(s, i, value);
                } else {
                    value.append(s.charAt(i++));
                }
            }
            return new Line(raw, key.toString(), value.toString());
        }

        /** Appends the character escaped at {@code s[i]} (a backslash) and returns the index after it. */
        private static int unescape(String s, int i, StringBuilder out) {
            char c = s.charAt(i + 1);
            switch (c) {
                case 't' -> out.append('\t');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    if (i + 6 <= s.length()) {
                        try {
                            out.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                            return i + 6;
                        } catch (NumberFormatException e) {
                            throw new SecretsException("malformed \\uXXXX escape in a properties file",
                                    "Fix the escape sequence and try again.");
                        }
                    }
                    throw new SecretsException("malformed \\uXXXX escape in a properties file",
                            "Fix the escape sequence and try again.");
                }
                default -> out.append(c);
            }
            return i + 2;
        }
    }
}
