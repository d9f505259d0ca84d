package io.keyhold.proxy.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Logs a warning once, then its repeats at DEBUG for a while. A consumer that keeps fetching a
 * partition with a bad record (say an injected EDEK) gets the same failure on every fetch; the
 * metrics count each one, the log says it once per {@link #QUIET} instead of once per fetch.
 * Thread-safe; holds at most {@link #MAX_REMEMBERED} messages.
 */
final class RepeatedWarnings {
    static final Duration QUIET = Duration.ofMinutes(10);
    private static final int MAX_REMEMBERED = 1_000;

    private final Cache<String, Boolean> recent = Caffeine.newBuilder().maximumSize(MAX_REMEMBERED).expireAfterWrite(QUIET)
            .executor(Runnable::run).build();

    /** Logs {@code message} (already formatted, no secrets) at WARN unless it was logged within {@link #QUIET}. */
    void warn(Logger log, String message) {
        if (recent.asMap().putIfAbsent(message, Boolean.TRUE) == null) {
            log.warn("{} (repeats within {} min are logged at DEBUG only)", message, QUIET.toMinutes());
        } else {
            log.debug(message);
        }
    }
}
