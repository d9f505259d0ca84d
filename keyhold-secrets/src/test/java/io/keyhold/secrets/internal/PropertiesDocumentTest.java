package io.keyhold.secrets.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PropertiesDocumentTest {
    /** The characters that make properties text interesting, for the randomized comparisons. */
    private static final String TRICKY = "\\\\\\ = :#!\t\f\n\r\nu0aA.\u00e9";

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
        assertThat(entries(PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8)))).isEqualTo(javaProperties(text));
    }

    @Test
    void aContinuationBackslashAtTheEndOfTheFileIsDropped() throws Exception {
        for (String text : List.of("a=b\\", "a=b\\\n", "a=b\\\r\n", "a=\\\n", "k\\\n", "x=1\ny=two\\\\\\")) {
            assertThat(entries(PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8))))
                    .as(text).isEqualTo(javaProperties(text));
        }
    }

    @Test
    void unicodeEscapesNeedFourHexDigitsAsInJava() {
        for (String text : List.of("a=\\u+041", "a=\\u-041", "a=\\u004", "\\u00g1=x", "a=\\u 041")) {
            assertThatThrownBy(() -> javaProperties(text)).as(text).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8)))
                    .as(text).isInstanceOf(SecretsException.class).hasMessageContaining("malformed \\uXXXX escape");
        }
        assertThat(PropertiesDocument.parse("a=\\u00E9\\u00e9".getBytes(StandardCharsets.UTF_8)).get("a")).isEqualTo("\u00e9\u00e9");
    }

    @Test
    void randomTextReadsLikeJavaUtilPropertiesAndRoundTrips() throws Exception {
        Random random = new Random(11);
        for (int n = 0; n < 20_000; n++) {
            String text = randomText(random, 1 + random.nextInt(40));
            Map<String, String> expected;
            try {
                expected = javaProperties(text);
            } catch (IllegalArgumentException e) {
                assertThatThrownBy(() -> PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8)))
                        .as(escapeForMessage(text)).isInstanceOf(SecretsException.class);
                continue;
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            PropertiesDocument doc = PropertiesDocument.parse(bytes);
            assertThat(entries(doc)).as(escapeForMessage(text)).isEqualTo(expected);
            assertThat(doc.toBytes()).as(escapeForMessage(text)).isEqualTo(bytes);
        }
    }

    @Test
    void randomSetsChangeOnlyTheirEntry() throws Exception {
        Random random = new Random(12);
        for (int n = 0; n < 5_000; n++) {
            String text = randomText(random, random.nextInt(40));
            Map<String, String> before;
            try {
                before = javaProperties(text);
            } catch (IllegalArgumentException e) {
                continue;
            }
            PropertiesDocument doc = PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8));
            String key = !before.isEmpty() && random.nextBoolean()
                    ? before.keySet().toArray(new String[0])[random.nextInt(before.size())]
                    : randomText(random, random.nextInt(8));
            String value = randomText(random, random.nextInt(8));
            doc.set(key, value);

            Map<String, String> expected = new LinkedHashMap<>(before);
            expected.put(key, value);
            assertThat(javaProperties(new String(doc.toBytes(), StandardCharsets.UTF_8))).as(escapeForMessage(text) + " <- " + escapeForMessage(key) + "=" + escapeForMessage(value))
                    .isEqualTo(expected);
        }
    }

    @Test
    void randomSetsOfJsonPathNamesReadBackAsSet() {
        Random random = new Random(13);
        for (int n = 0; n < 5_000; n++) {
            String text = randomText(random, random.nextInt(40));
            PropertiesDocument doc;
            try {
                doc = PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8), KeySyntax.ESCAPED_DOTS_KEPT);
            } catch (SecretsException e) {
                continue;
            }
            Map<String, String> expected = entries(doc);
            String name = randomText(random, random.nextInt(8));
            String value = randomText(random, random.nextInt(8));
            doc.set(name, value);
            expected.put(name, value);
            assertThat(entries(PropertiesDocument.parse(doc.toBytes(), KeySyntax.ESCAPED_DOTS_KEPT)))
                    .as(escapeForMessage(text) + " <- " + escapeForMessage(name) + "=" + escapeForMessage(value))
                    .isEqualTo(expected);
        }
    }

    @Test
    void aChangedValueKeepsTheKeyTextOfItsLine() {
        String text = "# comment\n\n  caf\u00e9\\ key\\u0021 : old\r\na\\.b=1\nx\ny\\\n  z = 2\nlast:3";
        PropertiesDocument doc = PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8));
        doc.set("caf\u00e9 key!", "new");
        doc.set("a.b", " lead");
        doc.set("x", "now set");
        doc.set("yz", "4");
        doc.set("last", "5");
        assertThat(new String(doc.toBytes(), StandardCharsets.UTF_8)).isEqualTo(
                "# comment\n\n  caf\u00e9\\ key\\u0021 = new\r\na\\.b = \\ lead\nx = now set\ny\\\n  z = 4\nlast = 5");
    }

    @Test
    void settingARepeatedKeyDropsTheLinesItShadows() {
        String text = "p=stale cleartext\n# keep me\nq=1\np=current cleartext\n";
        PropertiesDocument doc = PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8));
        doc.set("p", "${securepass:/s:c/p}");
        assertThat(new String(doc.toBytes(), StandardCharsets.UTF_8)).isEqualTo("# keep me\nq=1\np = ${securepass:/s:c/p}\n");
    }

    @Test
    void writtenEntriesReadBackAsTheyWereSet() throws Exception {
        PropertiesDocument doc = PropertiesDocument.parse("x=1".getBytes(StandardCharsets.UTF_8));
        String key = "we:ird key=#!";
        String value = " lead\\ing\ttab\nnewline \u00e9\u4e2d";
        doc.set(key, value);
        doc.set("x", "2");
        Properties back = new Properties();
        back.load(new ByteArrayInputStream(doc.toBytes()));
        assertThat(back.getProperty(key)).isEqualTo(value);
        assertThat(back.getProperty("x")).isEqualTo("2");
        assertThat(new String(doc.toBytes(), StandardCharsets.UTF_8)).startsWith("x = 2\n").matches("\\p{ASCII}*");
    }

    @Test
    void secretsFileNamesKeepEscapedDots() {
        String text = "config.json/a\\.b.c = 1\nconfig.json/a.b.c = 2\nold/x\\\\.y = 3\nodd\\ key\\:x = 4\n";
        PropertiesDocument doc = PropertiesDocument.parse(text.getBytes(StandardCharsets.UTF_8), KeySyntax.ESCAPED_DOTS_KEPT);
        // Two JSON paths, two names; the \\. of a file Keyhold wrote before reads the same as Confluent's \.
        assertThat(doc.entries()).containsExactly(Map.entry("config.json/a\\.b.c", "1"), Map.entry("config.json/a.b.c", "2"),
                Map.entry("old/x\\.y", "3"), Map.entry("odd key:x", "4"));
        doc.set("config.json/a\\.b.c", "one");
        doc.set("old/x\\.y", "three");
        assertThat(new String(doc.toBytes(), StandardCharsets.UTF_8))
                .isEqualTo("config.json/a\\.b.c = one\nconfig.json/a.b.c = 2\nold/x\\\\.y = three\nodd\\ key\\:x = 4\n");
    }

    @Test
    void newSecretsFileNamesAreWrittenAsConfluentsCliWritesThem() {
        PropertiesDocument doc = PropertiesDocument.empty(KeySyntax.ESCAPED_DOTS_KEPT);
        Map<String, String> names = new LinkedHashMap<>();
        names.put("config.json/credentials.ssl\\.key\\.password", "config.json/credentials.ssl\\.key\\.password");
        names.put("server.properties/my key:x#!", "server.properties/my\\ key\\:x#!");
        names.put("server.properties/" + "listener.name.sasl_ssl.plain.sasl.jaas.config/org.apache.kafka.common.security.plain.PlainLoginModule/password",
                "server.properties/listener.name.sasl_ssl.plain.sasl.jaas.config/org.apache.kafka.common.security.plain.PlainLoginModule/password");
        // Where Confluent's raw text would read back as another name, in its reader and ours:
        names.put("#c.json/a=b\\c\\\\.d\u00e9", "\\#c.json/a\\=b\\\\c\\\\\\.d\\u00e9");
        StringBuilder expected = new StringBuilder();
        names.forEach((name, text) -> {
            doc.set(name, "v");
            expected.append(text).append(" = v\n");
        });
        assertThat(new String(doc.toBytes(), StandardCharsets.UTF_8)).isEqualTo(expected.toString());
        PropertiesDocument back = PropertiesDocument.parse(doc.toBytes(), KeySyntax.ESCAPED_DOTS_KEPT);
        assertThat(back.entries().keySet()).containsExactlyElementsOf(names.keySet());
    }

    private static String randomText(Random random, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.append(random.nextInt(4) == 0 ? (char) ('a' + random.nextInt(3)) : TRICKY.charAt(random.nextInt(TRICKY.length())));
        }
        return s.toString();
    }

    private static Map<String, String> entries(PropertiesDocument doc) {
        return new LinkedHashMap<>(doc.entries());
    }

    private static Map<String, String> javaProperties(String text) throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(text));
        return toMap(p);
    }

    private static Map<String, String> toMap(Properties p) {
        Map<String, String> map = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
        return map;
    }

    private static String escapeForMessage(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t").replace("\f", "\\f");
    }
}
