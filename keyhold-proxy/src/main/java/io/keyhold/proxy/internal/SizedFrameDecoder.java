package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;

/**
 * Splits a broker's byte stream into Kafka frames (4-byte size, then that many bytes), copying
 * every byte once into a buffer of exactly the frame's size. Fetch responses run to megabytes;
 * Netty's general-purpose cumulation would copy them again each time its buffer grows.
 */
final class SizedFrameDecoder extends ChannelInboundHandlerAdapter {
    private final int maxFrameBytes;
    private final byte[] sizeBytes = new byte[4];
    private int sizeRead;
    private ByteBuf frame;

    SizedFrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            while (in.isReadable()) {
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
                    frame = ctx.alloc().heapBuffer(size, size);
                }
                int n = Math.min(in.readableBytes(), frame.writableBytes());
                frame.writeBytes(in, n);
                if (!frame.isWritable()) {
                    ByteBuf done = frame;
                    frame = null;
                    ctx.fireChannelRead(done);
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
