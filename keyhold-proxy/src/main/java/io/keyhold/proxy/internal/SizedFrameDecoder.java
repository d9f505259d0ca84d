package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * Splits a Kafka byte stream (a client's requests, a broker's responses) into frames (4-byte size,
 * then that many bytes), copying every byte once into a heap buffer of the frame's size. Produce
 * requests and fetch responses run to megabytes; Netty's general-purpose cumulation would copy
 * them again each time its buffer grows.
 *
 * <p>A declared size above the limit fails at once, before anything is buffered. For an untrusted
 * peer (a client), memory beyond {@code upfrontBytes} is taken only as a frame's bytes arrive, so
 * a 4-byte header alone cannot make the proxy reserve a large buffer.
 */
final class SizedFrameDecoder extends ChannelInboundHandlerAdapter {
    /** For clients: frames up to this size get their whole buffer at once; larger ones grow as bytes arrive. */
    static final int CLIENT_UPFRONT_BYTES = 2 * 1024 * 1024;

    private final int maxFrameBytes;
    private final int upfrontBytes;
    private final byte[] sizeBytes = new byte[4];
    private int sizeRead;
    private ByteBuf frame;

    /**
     * @param maxFrameBytes largest frame accepted; a larger declared size closes the connection
     * @param upfrontBytes  largest buffer reserved on a frame's header alone
     */
    SizedFrameDecoder(int maxFrameBytes, int upfrontBytes) {
        this.maxFrameBytes = maxFrameBytes;
        this.upfrontBytes = upfrontBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            while (true) {
                if (frame == null) {
                    while (sizeRead < 4 && in.isReadable()) {
                        sizeBytes[sizeRead++] = in.readByte();
                    }
                    if (sizeRead < 4) {
                        return;
                    }
                    int size = ((sizeBytes[0] & 0xff) << 24) | ((sizeBytes[1] & 0xff) << 16) | ((sizeBytes[2] & 0xff) << 8)
                            | (sizeBytes[3] & 0xff);
                    sizeRead = 0;
                    if (size < 0 || size > maxFrameBytes) {
                        throw new CorruptedFrameException("frame size " + size + " out of range");
                    }
                    frame = ctx.alloc().heapBuffer(Math.min(size, upfrontBytes), size);
                }
                frame.writeBytes(in, Math.min(in.readableBytes(), frame.maxWritableBytes()));
                if (frame.maxWritableBytes() == 0) {
                    ByteBuf done = frame;
                    frame = null;
                    ctx.fireChannelRead(done);
                } else {
                    return; // the rest of this frame comes with a later read
                }
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (frame != null) {
            frame.release();
            frame = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        handlerRemoved(ctx);
        super.channelInactive(ctx);
    }
}
