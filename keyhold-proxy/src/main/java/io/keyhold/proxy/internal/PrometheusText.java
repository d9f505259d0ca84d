package io.keyhold.proxy.internal;

import java.io.IOException;
import java.util.regex.Pattern;

/**
 * Writes the Prometheus text exposition format, version 0.0.4: UTF-8, {@code \n} line ends, and per
 * metric family one {@code # HELP} line, one {@code # TYPE} line, then all its samples together (the
 * format forbids spreading a family's samples over the output).
 */
public final class PrometheusText {
    /** The HTTP {@code Content-Type} of this format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final Appendable out;

    public PrometheusText(Appendable out) {
        this.out = out;
    }

    /** Starts a family: {@code type} is {@code counter} or {@code gauge} here (counters are named {@code *_total}). */
    public void family(String name, String type, String help) throws IOException {
        requireName(METRIC_NAME, name);
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** One sample of the current family; {@code labels} alternate name, value. */
    public void sample(String name, long value, String... labels) throws IOException {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels must be name/value pairs");
        }
        requireName(METRIC_NAME, name);
        for (int i = 0; i < labels.length; i += 2) {
            requireName(LABEL_NAME, labels[i]);
        }
        out.append(name);
        if (labels.length > 0) {
            out.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                out.append(i == 0 ? "" : ",").append(labels[i]).append("=\"").append(escapeLabelValue(labels[i + 1])).append('"');
            }
            out.append('}');
        }
        out.append(' ').append(Long.toString(value)).append('\n');
    }

    /** HELP text: backslash and line feed are escaped (a raw line feed would end the line). */
    static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Label values: backslash, double quote and line feed are escaped; everything else is UTF-8 as is. */
    static String escapeLabelValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    // Names are constants of ours; a bad one is a bug, caught before it corrupts a scrape.
    private static void requireName(Pattern p, String name) {
        if (!p.matcher(name).matches()) {
            throw new IllegalArgumentException("not a valid Prometheus name: " + name);
        }
    }
}
