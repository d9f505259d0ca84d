package io.keyhold.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reading values out of Keyhold's YAML files the same way everywhere: {@code ${NAME}} expansion, relative paths. */
final class YamlValues {
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private YamlValues() {
    }

    /** The field as text with {@code ${NAME}} expanded, or {@code dflt} when absent or null. */
    static String text(JsonNode n, String field, UnaryOperator<String> env, String dflt) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dflt : expand(v.asText(), env);
    }

    /** A file path; relative paths are resolved against {@code baseDir} (the config file's directory). */
    static Path optionalPath(JsonNode n, String field, Path baseDir, UnaryOperator<String> env) {
        String s = text(n, field, env, null);
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        return p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
    }

    static Path path(JsonNode n, String field, Path baseDir, UnaryOperator<String> env, String where) {
        Path p = optionalPath(n, field, baseDir, env);
        if (p == null) {
            throw new IllegalArgumentException(where + "TLS '" + field + "' is required");
        }
        return p;
    }

    /** Refuses fields outside {@code known}: a misspelt TLS or cluster key must not be silently ignored. */
    static void onlyFields(JsonNode n, Set<String> known, String where) {
        if (!n.isObject()) {
            throw new IllegalArgumentException(where + "expected a mapping with " + new TreeSet<>(known));
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new IllegalArgumentException(where + "unknown key '" + f + "'; known: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    /** Replaces {@code ${NAME}} with environment variable NAME; an unset variable is an error, never "". */
    static String expand(String s, UnaryOperator<String> env) {
        Matcher m = ENV.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = env.apply(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }
}
