package io.keyhold.proxy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Copies what is written to System.err (where slf4j-simple logs) while open, still passing it on. */
public final class CapturedStderr implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    public CapturedStderr() {
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int c) {
                original.write(c);
                synchronized (copy) {
                    copy.write(c);
                }
            }

            @Override
            public void write(byte[] buf, int off, int len) {
                original.write(buf, off, len);
                synchronized (copy) {
                    copy.write(buf, off, len);
                }
            }
        }, true, StandardCharsets.UTF_8));
    }

    public String text() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
