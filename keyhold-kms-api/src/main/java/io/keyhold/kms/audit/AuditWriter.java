package io.keyhold.kms.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The queue and the one writer thread behind a durable {@link AuditSink}: {@link #record} only
 * offers the event to a bounded queue (it runs on event loops and KMS callbacks, so it must not
 * block); the writer thread takes what is queued, up to a batch at a time, and hands each batch to
 * the sink's {@link Batches} (a file append, a database insert) before it takes the next. What
 * finds the queue full, or comes after {@link #close}, goes to the sink's {@link Lost}, never waited for.
 */
public final class AuditWriter implements AutoCloseable {
    /** Writes one batch durably, and counts and logs it itself where it cannot. */
    @FunctionalInterface
    public interface Batches {
        void write(List<AuditEvent> batch) throws InterruptedException;
    }

    /** Told of an event that was not queued: {@code closed} when the writer was closing, else the queue was full. */
    @FunctionalInterface
    public interface Lost {
        void lost(AuditEvent event, boolean closed);
    }

    private static final long POLL_MILLIS = 200;
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final BlockingQueue<AuditEvent> queue;
    private final int batchSize;
    private final Batches batches;
    private final Lost lost;
    private final Thread writer;
    private volatile boolean closing;

    /** Starts the writer thread {@code threadName} (a daemon: the audit trail never keeps a process up). */
    public AuditWriter(String threadName, int capacity, int batchSize, Batches batches, Lost lost) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.batchSize = batchSize;
        this.batches = batches;
        this.lost = lost;
        this.writer = new Thread(this::run, threadName);
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues {@code event} for the writer thread; returns at once. */
    public void record(AuditEvent event) {
        boolean closed = closing;
        if (closed || !queue.offer(event)) {
            lost.lost(event, closed);
        }
    }

    /** Events waiting to be written. */
    public int pending() {
        return queue.size();
    }

    private void run() {
        List<AuditEvent> batch = new ArrayList<>(batchSize);
        while (!closing || !queue.isEmpty()) {
            try {
                AuditEvent first = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, batchSize - 1);
                batches.write(batch);
            } catch (InterruptedException e) {
                if (!closing) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } finally {
                batch.clear();
            }
        }
    }

    /** Stops taking events and writes the queued ones, waiting five seconds at most; then stops the thread. */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            writer.interrupt();
        }
    }
}
