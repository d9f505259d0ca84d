package io.keyhold.secrets.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .properties} file edited in place: comments, blank lines, key order and the exact text
 * of every untouched line survive a round trip byte for byte, and a changed value leaves the key
 * text of its line as it was (escapes, indentation and all). Keys and values are read
 * with {@link java.util.Properties} semantics (escapes, continuation lines), names as the
 * document's {@link KeySyntax} says; new entries are written as {@code key = value}.
 */
public final class PropertiesDocument {
    private final List<Line> lines = new ArrayList<>();
    private final Charset charset;
    private final String newline;
    private final KeySyntax syntax;

    private PropertiesDocument(Charset charset, String newline, KeySyntax syntax) {
        this.charset = charset;
        this.newline = newline;
        this.syntax = syntax;
    }

    public static PropertiesDocument empty() {
        return empty(KeySyntax.JAVA);
    }

    public static PropertiesDocument empty(KeySyntax syntax) {
        return new PropertiesDocument(StandardCharsets.UTF_8, "\n", syntax);
    }

    public static PropertiesDocument parse(byte[] bytes) {
        return parse(bytes, KeySyntax.JAVA);
    }

    /**
     * Parses file bytes. UTF-8 when the bytes are valid UTF-8, otherwise ISO-8859-1 (what
     * {@code Properties.load(InputStream)} assumes); either way the same charset writes back
     * identical bytes for every untouched line.
     */
    public static PropertiesDocument parse(byte[] bytes, KeySyntax syntax) {
        Charset charset = StandardCharsets.UTF_8;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            charset = StandardCharsets.ISO_8859_1;
            text = new String(bytes, charset);
        }
        PropertiesDocument doc = new PropertiesDocument(charset, text.contains("\r\n") ? "\r\n" : "\n", syntax);
        doc.parseText(text);
        return doc;
    }

    /** Splits the text into logical lines as java.util.Properties' LineReader does. */
    private void parseText(String text) {
        int pos = 0;
        while (pos < text.length()) {
            // A logical line runs on while a physical line ends in an odd number of backslashes;
            // rawAt maps each of its characters (and its end) to an offset in the raw text.
            int start = pos;
            StringBuilder logical = new StringBuilder();
            Offsets rawAt = new Offsets();
            boolean emptyEntry = false;
            String danglingEnd = null;
            while (true) {
                int end = lineEnd(text, pos);
                int contentStart = skipBlanks(text, pos, end);
                // '#' or '!' starts a comment wherever a logical line has no content yet, also on
                // the line after a continuation; a comment never continues.
                boolean comment = logical.length() == 0 && contentStart < end
                        && (text.charAt(contentStart) == '#' || text.charAt(contentStart) == '!');
                int next = skipTerminator(text, end);
                // The backslash of a continuation is dropped, also at the end of the file.
                boolean continued = !comment && endsWithOddBackslashes(text, contentStart, end);
                int contentEnd = comment ? contentStart : continued ? end - 1 : end;
                for (int i = contentStart; i < contentEnd; i++) {
                    logical.append(text.charAt(i));
                    rawAt.add(i - start);
                }
                pos = next;
                if (!continued || pos >= text.length()) {
                    rawAt.add(contentEnd - start);
                    // LineReader's quirk: a lone backslash that ends the file (bare, or followed
                    // by one \n or \r, not \r\n) is an entry with an empty key and value.
                    emptyEntry = continued && logical.length() == 0 && next - end < 2;
                    danglingEnd = !continued ? null : emptyEntry ? "=" : "";
                    break;
                }
            }
            lines.add(Line.parse(text.substring(start, pos), logical.toString(), rawAt, syntax, emptyEntry, danglingEnd));
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

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\f';
    }

    private static int skipBlanks(String text, int from, int end) {
        int i = from;
        while (i < end && isBlank(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean endsWithOddBackslashes(String text, int from, int end) {
        int count = 0;
        for (int i = end - 1; i >= from && text.charAt(i) == '\\'; i--) {
            count++;
        }
        return count % 2 == 1;
    }

    /** The value of a key (the last one wins, as in {@link java.util.Properties}), or null. */
    public String get(String key) {
        int index = lastIndexOf(key);
        return index < 0 ? null : lines.get(index).value;
    }

    public boolean contains(String key) {
        return lastIndexOf(key) >= 0;
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

    /**
     * Replaces the value of the key in place, as {@code <key text as written> = value}, or
     * appends {@code key = value} at the end. Earlier lines of the same key, which the last one
     * shadows, are dropped: the value being replaced (a cleartext password) must not stay behind
     * in them.
     */
    public void set(String key, String value) {
        String valueText = PropertiesEscapes.escapeValue(value);
        int index = lastIndexOf(key);
        if (index >= 0) {
            lines.set(index, lines.get(index).withValue(valueText, value));
            for (int i = index - 1; i >= 0; i--) {
                if (key.equals(lines.get(i).key)) {
                    lines.remove(i);
                }
            }
            return;
        }
        if (!lines.isEmpty()) {
            int last = lines.size() - 1;
            Line lastLine = lines.get(last);
            if (terminatorOf(lastLine.raw).isEmpty()) {
                lines.set(last, lastLine.withTerminator(newline));
            }
            if (lastLine.danglingEnd != null) {
                // The file ends in a continuation: a new line would join the last entry. The line
                // that ends it repeats the last terminator: after a lone \r, a \n would be read
                // as part of it.
                lines.add(new Line(lastLine.danglingEnd + terminatorOf(lines.get(last).raw), null, null, null, null));
            }
        }
        String head = PropertiesEscapes.escapeKey(key, syntax) + " = ";
        lines.add(new Line(head + valueText + newline, key, value, head, null));
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

    private int lastIndexOf(String key) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (key.equals(lines.get(i).key)) {
                return i;
            }
        }
        return -1;
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

    /** Raw-text offsets of the characters of a logical line: a growable int array. */
    private static final class Offsets {
        private int[] values = new int[64];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int get(int index) {
            return values[index];
        }
    }

    /**
     * One logical line: its raw text (with terminator and continuations) and, for an entry, its
     * key, its value, and {@code head}: the raw text of its indentation and key followed by
     * {@code " = "}, ready to take a new value.
     */
    private static final class Line {
        final String raw;
        final String key;
        final String value;
        final String head;
        /**
         * For a line that ends the file with a continuation backslash (whatever comes next would
         * join it), the text of a line that ends it without changing what it reads as: empty,
         * or "=" for the empty entry a lone backslash is. Null for every other line.
         */
        final String danglingEnd;

        Line(String raw, String key, String value, String head, String danglingEnd) {
            this.raw = raw;
            this.key = key;
            this.value = value;
            this.head = head;
            this.danglingEnd = danglingEnd;
        }

        Line withValue(String valueText, String newValue) {
            return new Line(head + valueText + terminatorOf(raw), key, newValue, head, null);
        }

        Line withTerminator(String terminator) {
            return new Line(raw + terminator, key, value, head, danglingEnd);
        }

        /** {@code s}: the logical line without its indentation, comments already left out. */
        static Line parse(String raw, String s, Offsets rawAt, KeySyntax syntax, boolean emptyEntry, String danglingEnd) {
            if (s.isEmpty() && !emptyEntry) {
                return new Line(raw, null, null, null, danglingEnd);
            }
            int i = 0;
            boolean keepEscapedDot = syntax == KeySyntax.ESCAPED_DOTS_KEPT;
            StringBuilder key = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    i = PropertiesEscapes.unescape(s, i, key, keepEscapedDot);
                    continue;
                }
                if (c == '=' || c == ':' || isBlank(c)) {
                    break;
                }
                key.append(c);
                i++;
            }
            int keyEnd = i;
            while (i < s.length() && isBlank(s.charAt(i))) {
                i++;
            }
            if (i < s.length() && (s.charAt(i) == '=' || s.charAt(i) == ':')) {
                i++;
            }
            while (i < s.length() && isBlank(s.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            while (i < s.length()) {
                if (s.charAt(i) == '\\' && i + 1 < s.length()) {
                    i = PropertiesEscapes.unescape(s, i, value, false);
                } else {
                    value.append(s.charAt(i++));
                }
            }
            // The key text stays as written; a changed value is written after " = ", the
            // separator of Confluent's writer (and of every line this class adds).
            String head = raw.substring(0, rawAt.get(keyEnd)) + " = ";
            return new Line(raw, key.toString(), value.toString(), head, danglingEnd);
        }
    }
}
