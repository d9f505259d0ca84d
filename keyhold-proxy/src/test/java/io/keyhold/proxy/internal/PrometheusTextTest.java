package io.keyhold.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrometheusTextTest {
    @Test
    void escapesHelpAndLabelValuesAsTheFormatSays() throws Exception {
        StringBuilder out = new StringBuilder();
        PrometheusText t = new PrometheusText(out);
        t.family("x_total", "counter", "a \\ b\nc \"quoted\"");
        t.sample("x_total", -1, "a", "\\\"\n", "b", "");
        t.sample("x_total", 0);
        // HELP escapes only backslash and line feed; a double quote stays as is there.
        assertThat(out.toString()).isEqualTo("# HELP x_total a \\\\ b\\nc \"quoted\"\n# TYPE x_total counter\n"
                + "x_total{a=\"\\\\\\\"\\n\",b=\"\"} -1\nx_total 0\n");
    }

    @Test
    void refusesNamesTheFormatDoesNotAllowBeforeWritingAnything() {
        StringBuilder out = new StringBuilder();
        PrometheusText t = new PrometheusText(out);
        assertThatThrownBy(() -> t.family("1abc", "gauge", "h")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.sample("ok", 1, "bad-label", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.sample("no space", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.sample("ok", 1, "odd")).isInstanceOf(IllegalArgumentException.class);
        assertThat(out).isEmpty();
    }
}
