package io.keyhold.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The proxy's frame splitter, on a real Netty pipeline (EmbeddedChannel): frames come out whole, however the bytes arrive. */
class SizedFrameDecoderTest {

    @Property(tries = 50)
    void framesComeOutWholeAndInOrderWhateverTheReadSizes(@ForAll @IntRange(min = 1, max = 5000) int chunk,
                                                          @ForAll @IntRange(min = 0, max = 1 << 20) int seed) {
        Random random = new Random(seed);
        List<byte[]> frames = new ArrayList<>();
        for (int size : new int[] {0, 1, 8, random.nextInt(70_000), random.nextInt(300)}) {
            byte[] f = new byte[size];
            random.nextBytes(f);
            frames.add(f);
        }
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(1 << 20, 1024));
        byte[] stream = stream(frames);
        for (int at = 0; at < stream.length; at += chunk) {
            ch.writeInbound(Unpooled.wrappedBuffer(stream, at, Math.min(chunk, stream.length - at)));
        }
        for (byte[] expected : frames) {
            ByteBuf got = ch.readInbound();
            assertThat(got).as("frame of %d bytes", expected.length).isNotNull();
            assertThat(bytes(got)).isEqualTo(expected);
            got.release();
        }
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aFrameLargerThanTheUpfrontReserveGrowsAsItsBytesArrive() {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false); // its metric counts buffer bytes, not chunks
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(64 << 20, 256 * 1024));
        ch.config().setAllocator(alloc);
        byte[] body = new byte[3 << 20];
        new Random(7).nextBytes(body);
        byte[] stream = stream(List.of(body));

        // A 4-byte header declaring 3 MiB reserves no more than the upfront amount.
        ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, 4));
        assertThat(alloc.metric().usedHeapMemory()).isLessThanOrEqualTo(256 * 1024);

        for (int at = 4; at < stream.length; at += 65536) {
            ch.writeInbound(Unpooled.wrappedBuffer(stream, at, Math.min(65536, stream.length - at)));
        }
        ByteBuf got = ch.readInbound();
        assertThat(bytes(got)).isEqualTo(body);
        got.release();
        ch.finish();
    }

    @Test
    void aSizePrefixAnnouncingAHundredMebibytesCostsNothingUntilBytesCome() {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(100 << 20, SizedFrameDecoder.CLIENT_UPFRONT_BYTES));
        ch.config().setAllocator(alloc);
        SizedFrameDecoder decoder = ch.pipeline().get(SizedFrameDecoder.class);
        // The 8 bytes of the flood: a size just under the limit, and the start of a header.
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x06, 0x3f, (byte) 0xff, (byte) 0xff, 0, 0, 0, 9}));
        assertThat(decoder.heldBytes()).as("bytes held for a frame of ~100 MiB after 4 of its bytes").isLessThanOrEqualTo(1024);
        assertThat(alloc.metric().usedHeapMemory()).isLessThanOrEqualTo(1024);
        assertThat(decoder.frameStartedNanos()).isNotEqualTo(-1);
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesThatTrickleInAreHeldPackedNotOneReadBufferEach() {
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(100 << 20, SizedFrameDecoder.CLIENT_UPFRONT_BYTES));
        SizedFrameDecoder decoder = ch.pipeline().get(SizedFrameDecoder.class);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0x10, 0, 0})); // 1 MiB announced
        int sent = 0;
        for (int i = 0; i < 20_000; i++) {
            ByteBuf oneByte = Unpooled.buffer(64 * 1024).writeByte(i); // one byte in a large read buffer
            ch.writeInbound(oneByte);
            sent++;
        }
        assertThat(decoder.heldBytes()).as("held for %d bytes sent", sent).isLessThanOrEqualTo(2 * sent + 1024);
        ch.finishAndReleaseAll();
    }

    @Test
    void aLargeFrameArrivingInFullReadBuffersIsKeptAsItCameAndComesOutWhole() {
        PooledByteBufAllocator alloc = new PooledByteBufAllocator(false);
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(64 << 20, SizedFrameDecoder.CLIENT_UPFRONT_BYTES));
        ch.config().setAllocator(alloc);
        byte[] body = new byte[5 << 20];
        new Random(3).nextBytes(body);
        byte[] stream = stream(List.of(body, new byte[] {7}));
        for (int at = 0; at < stream.length; at += 65536) {
            ByteBuf read = alloc.heapBuffer(65536).writeBytes(stream, at, Math.min(65536, stream.length - at));
            ch.writeInbound(read);
        }
        ByteBuf got = ch.readInbound();
        assertThat(bytes(got)).isEqualTo(body);
        got.release();
        ByteBuf last = ch.readInbound();
        assertThat(bytes(last)).containsExactly(7);
        last.release();
        ch.finish();
        assertThat(liveHeapBuffers(alloc)).as("every read buffer kept for the frame was released").isZero();
    }

    @Test
    void aDeclaredSizeOverTheLimitFailsBeforeAnythingIsBuffered() {
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(1024, 1024));
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 4, 1, 9, 9})))
                .isInstanceOf(CorruptedFrameException.class).hasMessageContaining("1025");
        assertThatThrownBy(() -> new EmbeddedChannel(new SizedFrameDecoder(1024, 1024))
                .writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, 0, 0, 0})))
                .isInstanceOf(CorruptedFrameException.class);
    }

    @Test
    void aPartFrameIsReleasedWhenTheConnectionCloses() {
        PooledByteBufAllocator alloc = new PooledByteBufAllocator(false);
        EmbeddedChannel ch = new EmbeddedChannel(new SizedFrameDecoder(1 << 20, 1 << 20));
        ch.config().setAllocator(alloc);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 1, 0, 1, 2, 3}));
        assertThat(liveHeapBuffers(alloc)).isEqualTo(1);
        ch.close();
        assertThat(liveHeapBuffers(alloc)).isZero();
    }

    private static long liveHeapBuffers(PooledByteBufAllocator alloc) {
        return alloc.metric().heapArenas().stream().mapToLong(a -> a.numActiveAllocations()).sum();
    }

    private static byte[] stream(List<byte[]> frames) {
        ByteBuf all = Unpooled.buffer();
        for (byte[] f : frames) {
            all.writeInt(f.length).writeBytes(f);
        }
        return bytes(all);
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }
}
