package io.keyhold.secrets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class PropertiesDocumentTest {
    @Test
    void untouchedDocumentIsByteIdentical() {
        byte[] utf8 = "# caf\u00e9\n\n  a : 1\nb=2 \\\n   3\n!x\nc\n".getBytes(StandardCharsets.UTF_8);
        byte[] latin1 = "k=caf\u00e9\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(PropertiesDocument.parse(utf8).toBytes()).isEqualTo(utf8);
        assertThat(PropertiesDocument.parse(latin1).toBytes()).isEqualTo(latin1);
        assertThat(PropertiesDocument.parse(latin1).get("k")).isEqualTo("caf\u00e9");
    }

    @Test
    void readsLikeJavaUtilProperties() throws Exception {
        String text = "a : 1\nb=2 \\\n   3\nc\nkey\\ with\\=eq = v\\\\x\\u0041\\n\n#d=4\nd\t5\ne=first\ne=second\n";
        Properties expected = new Properties();
        expected.load(new StringReader(text));
        PropertiesDocument doc = PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8));
        assertThat(doc.entries()).containsExactlyInAnyOrderEntriesOf(
                expected.stringPropertyNames().stream().collect(java.util.stream.Collectors.toMap(k -> k, expected::getProperty)));
    }

    @Test
    void writtenEntriesReadBackAsTheyWereSet() throws Exception {
        PropertiesDocument doc = PropertiesDocument.parse("x=1".getBytes(StandardCharsets.UTF_8));
        String key = "we:ird key=#!";
        String value = " lead\\ing\ttab\nnewline \u00e9\u4e2d";
        doc.set(key, value);
        doc.set("x", "2");
        Properties back = new Properties();
        back.load(new java.io.ByteArrayInputStream(doc.toBytes()));
        assertThat(back.getProperty(key)).isEqualTo(value);
        assertThat(back.getProperty("x")).isEqualTo("2");
        assertThat(new String(doc.toBytes(), StandardCharsets.UTF_8)).startsWith("x = 2\n").matches("\\p{ASCII}*");
    }
}
