package io.keyhold.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EncryptionContextTest {
    @Test
    void equalityAndHashDoNotDependOnInsertionOrder() {
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "1");
        ab.put("b", "2");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "2");
        ba.put("a", "1");
        EncryptionContext x = EncryptionContext.of(ab);
        EncryptionContext y = EncryptionContext.of(ba);
        assertThat(x).isEqualTo(y).hasSameHashCodeAs(y);
        assertThat(x.canonicalBytes()).isEqualTo(y.canonicalBytes());
        assertThat(x.pairs().keySet()).containsExactly("a", "b");
        assertThat(x).isNotEqualTo(EncryptionContext.of(Map.of("a", "1", "b", "3")));
        assertThat(x).isNotEqualTo(EncryptionContext.of(Map.of("a", "1")));
    }

    @Test
    void canonicalBytesNeverCollideAcrossPartBoundaries() {
        EncryptionContext abC = EncryptionContext.of(Map.of("ab", "c"));
        EncryptionContext aBc = EncryptionContext.of(Map.of("a", "bc"));
        assertThat(abC).isNotEqualTo(aBc);
        assertThat(abC.canonicalBytes()).isNotEqualTo(aBc.canonicalBytes());
        // nor when one pair's value could be read as the next pair's key
        assertThat(EncryptionContext.of(Map.of("a", "b", "c", "d")).canonicalBytes())
                .isNotEqualTo(EncryptionContext.of(Map.of("a", "bc", "d", "x")).canonicalBytes());
    }

    /** The local KMS binds EDEKs to these bytes: they must never change, or stored EDEKs stop unwrapping. */
    @Test
    void canonicalBytesAreTheDocumentedEncoding() {
        byte[] expected = HexFormat.of().parseHex(
                HexFormat.of().formatHex("keyhold.context.v1".getBytes(StandardCharsets.US_ASCII))
                        + "0000000f" + HexFormat.of().formatHex("keyhold-cluster".getBytes(StandardCharsets.US_ASCII))
                        + "00000002" + "6331" // "c1"
                        + "0000000d" + HexFormat.of().formatHex("keyhold-topic".getBytes(StandardCharsets.US_ASCII))
                        + "00000004" + "c3a97475"); // "étu": UTF-8, lengths in bytes
        assertThat(EncryptionContext.forTopic("c1", "\u00e9tu").canonicalBytes()).isEqualTo(expected);
        assertThat(EncryptionContext.forTopic("c1", "t").pairs())
                .containsExactly(Map.entry("keyhold-cluster", "c1"), Map.entry("keyhold-topic", "t"));
        assertThat(EncryptionContext.forPurpose("secrets-file").pairs()).containsExactly(Map.entry("keyhold-purpose", "secrets-file"));
    }

    @Test
    void emptyKeysValuesAndContextsAreRefused() {
        assertThatThrownBy(() -> EncryptionContext.of(Map.of("", "v"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncryptionContext.of(Map.of("k", ""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncryptionContext.of(Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncryptionContext.forTopic("", "orders")).isInstanceOf(IllegalArgumentException.class);
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertThatThrownBy(() -> EncryptionContext.of(nullValue)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void atMost4KiBOfKeysAndValuesMeasuredInUtf8() {
        String key = "k";
        assertThat(EncryptionContext.of(Map.of(key, "v".repeat(4095))).pairs()).hasSize(1);
        assertThatThrownBy(() -> EncryptionContext.of(Map.of(key, "v".repeat(4096))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4097 bytes");
        // 2048 two-byte characters are 4096 bytes: 4097 with the key
        assertThatThrownBy(() -> EncryptionContext.of(Map.of(key, "\u00e9".repeat(2048)))).isInstanceOf(IllegalArgumentException.class);
        assertThat(EncryptionContext.of(Map.of("\u00e9", "\u00e9".repeat(2047))).pairs()).hasSize(1);
    }

    @Test
    void itIsImmutable() {
        Map<String, String> source = new HashMap<>(Map.of("a", "1"));
        EncryptionContext c = EncryptionContext.of(source);
        source.put("b", "2");
        assertThat(c.pairs()).containsOnlyKeys("a");
        assertThatThrownBy(() -> c.pairs().put("b", "2")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(c.toString()).contains("a=1");
    }
}
