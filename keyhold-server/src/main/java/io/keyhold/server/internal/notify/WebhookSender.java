package io.keyhold.server.internal.notify;

import io.keyhold.server.Webhook;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers notifications to one webhook, in order, on a thread of its own: a webhook that hangs or
 * fails delays only its own later notifications, never a lock or another webhook. Each one is
 * retried with exponential backoff (1 s, 2 s, 4 s, ... up to {@link #MAX_BACKOFF}) for
 * {@link #MAX_ATTEMPTS} attempts; the queue holds at most {@link #QUEUE_CAPACITY}, and what does
 * not fit is dropped with a warning (counted in {@link #dropped()}).
 */
final class WebhookSender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    static final int QUEUE_CAPACITY = 1000;
    static final int MAX_ATTEMPTS = 8;
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final Webhook target;
    private final byte[] secret;
    private final Clock clock;
    private final HttpClient http;
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    WebhookSender(Webhook target, Clock clock) {
        this.target = target;
        this.secret = target.secret();
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        this.thread = new Thread(this::run, "keyhold-webhook-" + target.url().getHost());
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues {@code body}; returns at once. */
    void send(byte[] body) {
        if (!queue.offer(body)) {
            long n = dropped.incrementAndGet();
            LOG.warn("webhook {}: {} notifications waiting, dropping one ({} dropped so far)", target, QUEUE_CAPACITY, n);
        }
    }

    long dropped() {
        return dropped.get();
    }

    long delivered() {
        return delivered.get();
    }

    private void run() {
        while (!closed) {
            byte[] body;
            try {
                body = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (body != null && !deliver(body)) {
                return;
            }
        }
    }

    /** Tries until delivered or out of attempts; false when interrupted (closing). */
    private boolean deliver(byte[] body) {
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS && !closed; attempt++) {
            String outcome;
            try {
                long timestamp = clock.instant().getEpochSecond();
                HttpRequest request = HttpRequest.newBuilder(target.url()).timeout(REQUEST_TIMEOUT)
                        .header("Content-Type", "application/json")
                        .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp))
                        .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, timestamp, body))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status >= 200 && status < 300) {
                    delivered.incrementAndGet();
                    return true;
                }
                outcome = "HTTP " + status;
            } catch (InterruptedException e) {
                return false;
            } catch (Exception e) {
                outcome = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (attempt == MAX_ATTEMPTS) {
                LOG.warn("webhook {}: giving up on a notification after {} attempts (last: {})", target, MAX_ATTEMPTS, outcome);
                return true;
            }
            LOG.info("webhook {}: attempt {} failed ({}); retrying in {} ms", target, attempt, outcome, backoff.toMillis());
            try {
                Thread.sleep(backoff.toMillis());
            } catch (InterruptedException e) {
                return false;
            }
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
