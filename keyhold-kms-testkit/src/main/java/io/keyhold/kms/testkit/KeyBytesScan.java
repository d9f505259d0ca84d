package io.keyhold.kms.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Looks for a key's bytes in text: every {@code toString}, message and stack trace of what it is
 * given, in the spellings a careless log line would use (hex either case, base64 with and without
 * padding, URL-safe base64, {@link Arrays#toString(byte[])}).
 */
public final class KeyBytesScan {
    private final byte[] key;

    public KeyBytesScan(byte[] key) {
        this.key = key.clone();
    }

    /** The spellings searched for. */
    List<String> spellings() {
        List<String> s = new ArrayList<>();
        s.add(HexFormat.of().formatHex(key));
        s.add(HexFormat.of().withUpperCase().formatHex(key));
        s.add(Base64.getEncoder().withoutPadding().encodeToString(key));
        s.add(Base64.getUrlEncoder().withoutPadding().encodeToString(key));
        s.add(Arrays.toString(key));
        return s;
    }

    /** Asserts that no text of {@code things} (objects, or throwables with their whole cause chain) holds the key. */
    public void assertAbsentFrom(Object... things) {
        List<String> texts = new ArrayList<>();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Object thing : things) {
            if (thing instanceof Throwable) {
                collect((Throwable) thing, texts, seen);
            } else {
                texts.add(String.valueOf(thing));
            }
        }
        assertThat(texts).as("texts to scan").isNotEmpty();
        for (String text : texts) {
            for (String spelling : spellings()) {
                assertThat(text).as("text must not contain the key's bytes").doesNotContain(spelling);
            }
        }
    }

    private static void collect(Throwable t, List<String> texts, Map<Throwable, Boolean> seen) {
        if (t == null || seen.put(t, Boolean.TRUE) != null) {
            return;
        }
        texts.add(String.valueOf(t));
        texts.add(String.valueOf(t.getMessage()));
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        texts.add(trace.toString());
        collect(t.getCause(), texts, seen);
        for (Throwable s : t.getSuppressed()) {
            collect(s, texts, seen);
        }
    }

    /** Where {@code needle} first occurs in {@code haystack}, or -1. */
    static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }
}
