package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code -o human|json|yaml} output of rows (ordered maps with snake_case names); a list as JSON is an array. */
final class Output {
    enum Format { human, json, yaml }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

    private Output() {
    }

    static void object(PrintWriter out, Format f, Map<String, ?> row) {
        if (f == Format.human) {
            int w = row.keySet().stream().mapToInt(k -> label(k).length()).max().orElse(0);
            row.forEach((k, v) -> out.printf("%-" + w + "s  %s%n", label(k), text(v)));
        } else {
            out.print(serialize(f, row));
        }
        out.flush();
    }

    static void list(PrintWriter out, Format f, List<? extends Map<String, ?>> rows, List<String> columns) {
        if (f != Format.human) {
            out.print(serialize(f, rows));
            out.flush();
            return;
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.stream().map(Output::label).toArray(String[]::new));
        rows.forEach(r -> cells.add(columns.stream().map(c -> text(r.get(c))).toArray(String[]::new)));
        int[] w = new int[columns.size()];
        cells.forEach(r -> {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        });
        for (String[] r : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == 0 ? "" : "  ").append(String.format("%-" + w[i] + "s", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    static String label(String field) {
        StringBuilder b = new StringBuilder();
        for (String part : field.split("_")) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals("id") || part.equals("cku") || part.equals("byok")) {
                part = part.toUpperCase(Locale.ROOT);
            }
            b.append(b.length() > 0 ? " " : "").append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
        }
        return b.toString();
    }

    private static String text(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof List<?> l) {
            return String.join(", ", l.stream().map(String::valueOf).toList());
        }
        return String.valueOf(v);
    }

    private static String serialize(Format f, Object v) {
        try {
            String s = (f == Format.json ? JSON : YAML).writeValueAsString(v);
            return s.endsWith("\n") ? s : s + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
