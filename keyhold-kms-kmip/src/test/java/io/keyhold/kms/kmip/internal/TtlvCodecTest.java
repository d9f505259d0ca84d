package io.keyhold.kms.kmip.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Golden encodings: the examples of the KMIP 1.x specification's section 9.1.2 ("Examples", tag
 * 0x420020 throughout), and a whole request message as another implementation (PyKMIP 0.10's
 * encoder) writes it. Each must encode to exactly these bytes and decode back to the same item.
 */
class TtlvCodecTest {
    private static final int T = 0x420020;

    // KMIP 1.x section 9.1.2, byte for byte (the spec separates tag | type | length | value with bars)
    private static final String INTEGER_8 = "420020 02 00000004 0000000800000000";
    private static final String LONG_123456789000000000 = "420020 03 00000008 01B69B4BA5749200";
    private static final String BIG_1234567890000000000000000000 = "420020 04 00000010 0000000003FD35EB6BC2DF4618080000";
    private static final String ENUMERATION_255 = "420020 05 00000004 000000FF00000000";
    private static final String BOOLEAN_TRUE = "420020 06 00000008 0000000000000001";
    private static final String TEXT_HELLO_WORLD = "420020 07 0000000B 48656C6C6F20576F726C640000000000";
    private static final String BYTES_010203 = "420020 08 00000003 0102030000000000";
    private static final String DATE_2008_03_14_11_56_40 = "420020 09 00000008 0000000047DA67F8";
    private static final String INTERVAL_10_DAYS = "420020 0A 00000004 000D2F0000000000";
    private static final String STRUCTURE_ENUM_254_INTEGER_255 = "420020 01 00000020 420004 05 00000004 000000FE00000000"
            + " 420005 02 00000004 000000FF00000000";

    /** PyKMIP 0.10's RequestMessage(header 1.4, batch count 1, Activate of unique identifier "1"). */
    private static final String PYKMIP_ACTIVATE_1 = "42007801000000704200770100000038420069010000002042006a0200000004000000010000000042006b"
            + "0200000004000000040000000042000d0200000004000000010000000042000f010000002842005c05000000040000001200000000420079010000001042009407"
            + "000000013100000000000000";

    @Test
    void encodesTheSpecificationsExamplesByteForByte() {
        golden(INTEGER_8, Ttlv.integer(T, 8));
        golden(LONG_123456789000000000, Ttlv.longInteger(T, 123456789000000000L));
        golden(BIG_1234567890000000000000000000, Ttlv.bigInteger(T, new BigInteger("1234567890000000000000000000")));
        golden(ENUMERATION_255, Ttlv.enumeration(T, 255));
        golden(BOOLEAN_TRUE, Ttlv.bool(T, true));
        golden(TEXT_HELLO_WORLD, Ttlv.text(T, "Hello World"));
        golden(BYTES_010203, Ttlv.bytes(T, new byte[] {1, 2, 3}));
        golden(DATE_2008_03_14_11_56_40, Ttlv.dateTime(T, 1205495800L));
        golden(INTERVAL_10_DAYS, Ttlv.interval(T, 10 * 86400));
        golden(STRUCTURE_ENUM_254_INTEGER_255, Ttlv.structure(T, Ttlv.enumeration(0x420004, 254), Ttlv.integer(0x420005, 255)));
    }

    @Test
    void writesARequestMessageAsAnotherImplementationDoes() {
        Ttlv activate = KmipMessages.request(ProtocolVersion.V1_4, KmipEnums.Operation.ACTIVATE,
                List.of(Ttlv.text(Tags.UNIQUE_IDENTIFIER, "1")));
        golden(PYKMIP_ACTIVATE_1, activate);
    }

    @Test
    void negativeBigIntegersAreSignExtendedToWholeBlocks() {
        golden("420020 04 00000008 FFFFFFFFFFFFFFFF", Ttlv.bigInteger(T, BigInteger.ONE.negate()));
        golden("420020 04 00000010 00000000000000008000000000000000", Ttlv.bigInteger(T, BigInteger.ONE.shiftLeft(63)));
    }

    @Test
    void refusesMalformedItems() {
        malformed("420020 02 00000008 0000000800000000", "length 8, not 4");           // an Integer of 8 bytes
        malformed("420020 02 00000004 0000000800000001", "padding");                     // padding not zeros
        malformed("420020 06 00000008 0000000000000002", "neither 0 nor 1");             // a Boolean of 2
        malformed("420020 07 00000010 48656C6C6F", "longer");                            // text longer than the message
        malformed("420020 0B 00000000", "unknown TTLV item type");                       // no such type
        malformed("420020 01 00000010 420004 05 00000004 000000FE", "longer");           // a structure cut short
        malformed("420020 07 00000002 C328000000000000", "not UTF-8");                   // invalid UTF-8
        malformed(INTEGER_8 + "00", "after its end");
    }

    @Test
    void readsOneMessageFromAStreamAndRefusesOversizedOnes() throws Exception {
        byte[] message = bytes(PYKMIP_ACTIVATE_1);
        byte[] twice = new byte[message.length * 2];
        System.arraycopy(message, 0, twice, 0, message.length);
        System.arraycopy(message, 0, twice, message.length, message.length);
        ByteArrayInputStream in = new ByteArrayInputStream(twice);
        assertThat(TtlvCodec.readMessage(in)).isEqualTo(message);
        assertThat(TtlvCodec.readMessage(in)).isEqualTo(message);
        assertThatThrownBy(() -> TtlvCodec.readMessage(in)).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> TtlvCodec.readMessage(new ByteArrayInputStream(bytes("42007B 01 7FFFFFF0"))))
                .isInstanceOf(TtlvException.class);
        assertThatThrownBy(() -> TtlvCodec.readMessage(new ByteArrayInputStream(bytes("42007B 01 00000010 4200")))).isInstanceOf(EOFException.class);
    }

    @Test
    void byteStringsNeverShowInText() {
        Ttlv key = Ttlv.structure(Tags.KEY_VALUE, Ttlv.bytes(Tags.KEY_MATERIAL, new byte[] {0x5A, 0x5A, 0x5A, 0x5A}));
        assertThat(key.toString()).contains("<4 bytes>").doesNotContain("5A").doesNotContain("90");
    }

    private static void golden(String hex, Ttlv item) {
        byte[] expected = bytes(hex);
        assertThat(HexFormat.of().withUpperCase().formatHex(TtlvCodec.encode(item))).as(item.toString())
                .isEqualTo(HexFormat.of().withUpperCase().formatHex(expected));
        assertThat(TtlvCodec.decode(expected)).isEqualTo(item);
    }

    private static void malformed(String hex, String why) {
        assertThatThrownBy(() -> TtlvCodec.decode(bytes(hex))).isInstanceOf(TtlvException.class).hasMessageContaining(why);
    }

    private static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
