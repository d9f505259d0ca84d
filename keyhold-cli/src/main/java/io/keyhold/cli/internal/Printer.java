package io.keyhold.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints objects as {@code -o human} (aligned rows or a table), {@code json} or {@code yaml}.
 * Objects are ordered maps with snake_case field names; human labels are derived from them
 * ({@code current_version} becomes "Current Version"). A list printed as JSON is a JSON array.
 */
public final class Printer {
    /** The {@code -o} values. */
    public enum Format { human, json, yaml }

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER))
            .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private Printer() {
    }

    public static void object(PrintWriter out, Format format, Map<String, ?> object) {
        if (format == Format.human) {
            int width = object.keySet().stream().mapToInt(k -> label(k).length()).max().orElse(0);
            object.forEach((k, v) -> out.printf("%-" + width + "s  %s%n", label(k), human(v)));
        } else {
            out.print(serialize(format, object));
        }
        out.flush();
    }

    public static void list(PrintWriter out, Format format, List<? extends Map<String, ?>> rows, String... humanColumns) {
        if (format != Format.human) {
            out.print(serialize(format, rows));
            out.flush();
            return;
        }
        List<String> columns = Arrays.asList(humanColumns);
        int[] widths = new int[columns.size()];
        List<String[]> cells = new ArrayList<>();
        String[] header = columns.stream().map(Printer::label).toArray(String[]::new);
        cells.add(header);
        for (Map<String, ?> row : rows) {
            cells.add(columns.stream().map(c -> human(row.get(c))).toArray(String[]::new));
        }
        for (String[] r : cells) {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        for (String[] r : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    static String label(String field) {
        StringBuilder b = new StringBuilder();
        for (String part : field.split("_")) {
            if (part.equals("id")) {
                part = "ID";
            }
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
        }
        return b.toString();
    }

    private static String human(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof List) {
            return String.join(", ", ((List<?>) v).stream().map(String::valueOf).toArray(String[]::new));
        }
        return String.valueOf(v);
    }

    private static String serialize(Format format, Object value) {
        try {
            String s = (format == Format.json ? JSON : YAML).writeValueAsString(value);
            return s.endsWith("\n") ? s : s + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot format output", e);
        }
    }
}
