package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.ArrayDeque;

/**
 * Splits a Kafka byte stream (a client's requests, a broker's responses) into frames (4-byte size,
 * then that many bytes), each handed on as one heap buffer of the frame's size, with every byte
 * copied into it once. Produce requests and fetch responses run to megabytes; Netty's
 * general-purpose cumulation would copy them again each time its buffer grows.
 *
 * <p>A declared size above the limit fails at once, before anything is buffered. For an untrusted
 * peer (a client), a frame larger than {@code upfrontBytes} gets its buffer only once all its bytes
 * are there: until then the decoder keeps the bytes that came, as they came (the socket's read
 * buffers, when well filled) or packed into small buffers of its own (when they trickle in). What a
 * connection holds is thus about what it sent, never what it announced: a size prefix alone costs
 * nothing, and 100 MiB announced and 10 bytes sent cost a 1 KiB buffer.
 *
 * <p>The limit can be changed between frames ({@link #maxFrameBytes(int)}): the proxy lowers it
 * while a connection has not authenticated. The decoder also remembers when the frame under way
 * began and when the peer last sent anything, for the connection's timeouts.
 */
final class SizedFrameDecoder extends ChannelInboundHandlerAdapter {
    /** For clients: frames up to this size get their whole buffer at once. */
    static final int CLIENT_UPFRONT_BYTES = 4 * 1024;
    /** Packing buffers for bytes that trickle in start this small and double up to {@link #MAX_PACK_BYTES}. */
    private static final int MIN_PACK_BYTES = 1024;
    private static final int MAX_PACK_BYTES = 64 * 1024;

    private int maxFrameBytes;
    private final int upfrontBytes;
    private final byte[] sizeBytes = new byte[4];
    private int sizeRead;
    /** The frame under way, when its buffer is taken: either at once (small or trusted) or once all its bytes are there. */
    private ByteBuf frame;
    /** The frame under way when its buffer is not taken yet: its size, and the bytes so far, in order. */
    private int pendingSize = -1;
    private int pendingBytes;
    private final ArrayDeque<ByteBuf> parts = new ArrayDeque<>();
    /** The last of {@link #parts} when it is a packing buffer with room left, else null. */
    private ByteBuf pack;
    private long frameStartedNanos;
    private long lastReadNanos = System.nanoTime();

    /**
     * @param maxFrameBytes largest frame accepted; a larger declared size closes the connection
     * @param upfrontBytes  largest buffer reserved on a frame's size prefix alone
     */
    SizedFrameDecoder(int maxFrameBytes, int upfrontBytes) {
        this.maxFrameBytes = maxFrameBytes;
        this.upfrontBytes = upfrontBytes;
    }

    /** Sets the limit for frames whose size prefix arrives from now on. */
    void maxFrameBytes(int max) {
        this.maxFrameBytes = max;
    }

    /** When the frame under way (size prefix included) began, or -1 when none is (nanoTime). */
    long frameStartedNanos() {
        return sizeRead > 0 || frame != null || pendingSize >= 0 ? frameStartedNanos : -1;
    }

    /** When the peer last sent bytes (nanoTime). */
    long lastReadNanos() {
        return lastReadNanos;
    }

    /** Bytes of the frame under way held right now (for tests and measurements). */
    int heldBytes() {
        if (frame != null) {
            return frame.capacity();
        }
        int n = 0;
        for (ByteBuf p : parts) {
            n += p.capacity();
        }
        return n;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        long now = System.nanoTime();
        lastReadNanos = now;
        try {
            while (in.isReadable()) {
                if (frame == null && pendingSize < 0) {
                    if (sizeRead == 0) {
                        frameStartedNanos = now;
                    }
                    while (sizeRead < 4 && in.isReadable()) {
                        sizeBytes[sizeRead++] = in.readByte();
                    }
                    if (sizeRead < 4) {
                        return;
                    }
                    startFrame(ctx, ((sizeBytes[0] & 0xff) << 24) | ((sizeBytes[1] & 0xff) << 16)
                            | ((sizeBytes[2] & 0xff) << 8) | (sizeBytes[3] & 0xff), in);
                }
                if (frame != null) {
                    frame.writeBytes(in, Math.min(in.readableBytes(), frame.maxWritableBytes()));
                    if (frame.maxWritableBytes() == 0) {
                        ByteBuf done = frame;
                        frame = null;
                        ctx.fireChannelRead(done);
                    }
                } else {
                    keep(ctx, in);
                    if (pendingBytes == pendingSize) {
                        ctx.fireChannelRead(assemble(ctx));
                    }
                }
            }
        } finally {
            in.release();
        }
    }

    /** A size prefix is complete: takes the frame's buffer now when it is small or all its bytes are here. */
    private void startFrame(ChannelHandlerContext ctx, int size, ByteBuf in) {
        sizeRead = 0;
        if (size < 0 || size > maxFrameBytes) {
            throw new CorruptedFrameException("frame size " + size + " out of range");
        }
        if (size <= upfrontBytes || size <= in.readableBytes()) {
            frame = ctx.alloc().heapBuffer(size, size);
        } else {
            pendingSize = size;
            pendingBytes = 0;
        }
    }

    /**
     * Keeps the next bytes of a frame whose buffer is not taken yet. A well-filled read buffer is
     * kept as it is (no copy now; the one copy happens when the frame is complete); a sliver of one
     * is copied into a packing buffer, so that a peer sending a byte at a time cannot make the
     * proxy hold a mostly empty read buffer per byte.
     */
    private void keep(ChannelHandlerContext ctx, ByteBuf in) {
        int n = Math.min(in.readableBytes(), pendingSize - pendingBytes);
        if (n >= in.capacity() / 2 && n >= MIN_PACK_BYTES) {
            parts.add(in.readRetainedSlice(n));
            pack = null;
        } else {
            int left = n;
            while (left > 0) {
                if (pack == null || !pack.isWritable()) {
                    int size = Math.min(pendingSize - pendingBytes - (n - left),
                            Math.max(MIN_PACK_BYTES, Math.min(MAX_PACK_BYTES, pendingBytes + (n - left))));
                    pack = ctx.alloc().heapBuffer(size, size);
                    parts.add(pack);
                }
                int m = Math.min(left, pack.writableBytes());
                pack.writeBytes(in, m);
                left -= m;
            }
        }
        pendingBytes += n;
    }

    /** The complete frame in one buffer of its size; the parts are released. */
    private ByteBuf assemble(ChannelHandlerContext ctx) {
        ByteBuf out = ctx.alloc().heapBuffer(pendingSize, pendingSize);
        try {
            ByteBuf p;
            while ((p = parts.poll()) != null) {
                try {
                    out.writeBytes(p);
                } finally {
                    p.release();
                }
            }
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
        pack = null;
        pendingSize = -1;
        pendingBytes = 0;
        return out;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (frame != null) {
            frame.release();
            frame = null;
        }
        ByteBuf p;
        while ((p = parts.poll()) != null) {
            p.release();
        }
        pack = null;
        pendingSize = -1;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        handlerRemoved(ctx);
        super.channelInactive(ctx);
    }
}
