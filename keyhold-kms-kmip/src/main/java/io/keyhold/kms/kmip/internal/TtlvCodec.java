package io.keyhold.kms.kmip.internal;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * KMIP's binary encoding (TTLV, KMIP 1.x section 9.1): 3 bytes of tag, 1 of type, 4 of length, then
 * the value padded with zeros to a multiple of 8 bytes. Decoding is strict: fixed-size types must
 * have their size, padding must be zeros, a structure's items must fill it exactly, and a message is
 * at most {@link #MAX_MESSAGE} bytes, so a misbehaving server cannot make the client allocate much.
 */
public final class TtlvCodec {
    /** Far more than any answer Keyhold asks for (a key, a few attributes, a list of identifiers). */
    public static final int MAX_MESSAGE = 1 << 20;
    private static final int MAX_DEPTH = 16;

    private TtlvCodec() {
    }

    public static byte[] encode(Ttlv item) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(item, out);
        return out.toByteArray();
    }

    private static void write(Ttlv item, ByteArrayOutputStream out) {
        byte[] value = switch (item.type()) {
            case STRUCTURE -> {
                ByteArrayOutputStream inner = new ByteArrayOutputStream();
                item.items().forEach(i -> write(i, inner));
                yield inner.toByteArray();
            }
            case INTEGER, ENUMERATION -> ByteBuffer.allocate(4).putInt(item.intValue()).array();
            case INTERVAL -> ByteBuffer.allocate(4).putInt((int) item.longValue()).array();
            case LONG_INTEGER, DATE_TIME -> ByteBuffer.allocate(8).putLong(item.longValue()).array();
            case BOOLEAN -> ByteBuffer.allocate(8).putLong(item.booleanValue() ? 1 : 0).array();
            case BIG_INTEGER -> bigInteger(item.bigIntegerValue());
            case TEXT_STRING -> item.textValue().getBytes(StandardCharsets.UTF_8);
            case BYTE_STRING -> (byte[]) item.rawValue(); // not copied: written out at once
        };
        out.write(item.tag() >>> 16);
        out.write(item.tag() >>> 8);
        out.write(item.tag());
        out.write(item.type().code);
        out.write(ByteBuffer.allocate(4).putInt(value.length).array(), 0, 4);
        out.write(value, 0, value.length);
        out.write(new byte[padding(value.length)], 0, padding(value.length));
    }

    /** Two's complement, big-endian, sign-extended to a multiple of 8 bytes (the spec's rule for Big Integers). */
    private static byte[] bigInteger(BigInteger v) {
        byte[] minimal = v.toByteArray();
        int length = (minimal.length + 7) / 8 * 8;
        byte[] out = new byte[length];
        Arrays.fill(out, 0, length - minimal.length, (byte) (v.signum() < 0 ? 0xFF : 0));
        System.arraycopy(minimal, 0, out, length - minimal.length, minimal.length);
        return out;
    }

    public static Ttlv decode(byte[] message) {
        ByteBuffer in = ByteBuffer.wrap(message);
        Ttlv item = read(in, 0);
        if (in.hasRemaining()) {
            throw new TtlvException("the KMIP message has " + in.remaining() + " bytes after its end");
        }
        return item;
    }

    /** Reads one whole message (one top-level item) from a stream; fails on end of stream or an oversized message. */
    public static byte[] readMessage(InputStream in) throws IOException {
        byte[] header = in.readNBytes(8);
        if (header.length < 8) {
            throw new EOFException(header.length == 0 ? "the KMIP server closed the connection" : "the KMIP message ends in its header");
        }
        long length = ByteBuffer.wrap(header, 4, 4).getInt() & 0xFFFFFFFFL;
        if (header[3] != Ttlv.Type.STRUCTURE.code || length + 8 > MAX_MESSAGE) {
            throw new TtlvException("the KMIP server sent no message Keyhold reads (type 0x" + Integer.toHexString(header[3] & 0xFF)
                    + ", " + length + " bytes)");
        }
        byte[] message = Arrays.copyOf(header, 8 + (int) length);
        int read = in.readNBytes(message, 8, (int) length);
        if (read < length) {
            throw new EOFException("the KMIP server closed the connection in the middle of a message");
        }
        return message;
    }

    private static Ttlv read(ByteBuffer in, int depth) {
        if (in.remaining() < 8) {
            throw new TtlvException("a KMIP item is cut off in its header");
        }
        int tag = ((in.get() & 0xFF) << 16) | ((in.get() & 0xFF) << 8) | (in.get() & 0xFF);
        Ttlv.Type type = Ttlv.Type.of(in.get() & 0xFF);
        long length = in.getInt() & 0xFFFFFFFFL;
        long padded = length + padding((int) Math.min(length, Integer.MAX_VALUE - 8));
        if (padded > in.remaining()) {
            throw new TtlvException("KMIP item " + Tags.name(tag) + " is longer (" + length + " bytes) than what is left of the message");
        }
        int n = (int) length;
        Ttlv item = switch (type) {
            case STRUCTURE -> structure(tag, in.slice(in.position(), n), depth);
            case INTEGER -> Ttlv.integer(tag, fixed(in, tag, n, 4).getInt());
            case ENUMERATION -> Ttlv.enumeration(tag, fixed(in, tag, n, 4).getInt());
            case INTERVAL -> Ttlv.interval(tag, fixed(in, tag, n, 4).getInt() & 0xFFFFFFFFL);
            case LONG_INTEGER -> Ttlv.longInteger(tag, fixed(in, tag, n, 8).getLong());
            case DATE_TIME -> Ttlv.dateTime(tag, fixed(in, tag, n, 8).getLong());
            case BOOLEAN -> {
                long v = fixed(in, tag, n, 8).getLong();
                if (v != 0 && v != 1) {
                    throw new TtlvException("KMIP Boolean " + Tags.name(tag) + " is neither 0 nor 1");
                }
                yield Ttlv.bool(tag, v == 1);
            }
            case BIG_INTEGER -> {
                if (n == 0 || n % 8 != 0) {
                    throw new TtlvException("KMIP Big Integer " + Tags.name(tag) + " has " + n + " bytes, not a multiple of 8");
                }
                yield Ttlv.bigInteger(tag, new BigInteger(value(in, n)));
            }
            case TEXT_STRING -> Ttlv.text(tag, utf8(value(in, n), tag));
            case BYTE_STRING -> {
                byte[] v = value(in, n);
                Ttlv bytes = Ttlv.bytes(tag, v);
                Arrays.fill(v, (byte) 0);
                yield bytes;
            }
        };
        in.position(in.position() + (type == Ttlv.Type.STRUCTURE ? n : 0));
        skipPadding(in, n, tag);
        return item;
    }

    private static Ttlv structure(int tag, ByteBuffer inner, int depth) {
        if (depth >= MAX_DEPTH) {
            throw new TtlvException("the KMIP message nests structures deeper than " + MAX_DEPTH);
        }
        List<Ttlv> items = new ArrayList<>();
        while (inner.hasRemaining()) {
            items.add(read(inner, depth + 1));
        }
        return Ttlv.structure(tag, items);
    }

    private static ByteBuffer fixed(ByteBuffer in, int tag, int length, int expected) {
        if (length != expected) {
            throw new TtlvException("KMIP item " + Tags.name(tag) + " has length " + length + ", not " + expected);
        }
        return ByteBuffer.wrap(value(in, length));
    }

    private static byte[] value(ByteBuffer in, int length) {
        byte[] v = new byte[length];
        in.get(v);
        return v;
    }

    private static void skipPadding(ByteBuffer in, int length, int tag) {
        for (int i = padding(length); i > 0; i--) {
            if (in.get() != 0) {
                throw new TtlvException("KMIP item " + Tags.name(tag) + " has padding that is not zeros");
            }
        }
    }

    private static String utf8(byte[] bytes, int tag) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TtlvException("KMIP Text String " + Tags.name(tag) + " is not UTF-8");
        }
    }

    private static int padding(int length) {
        return (8 - length % 8) % 8;
    }
}
