package io.keyhold.server.internal.keys;

import io.keyhold.server.internal.audit.Audits;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the local KMS keys of key objects on a schedule ({@code local-key-rotation}, 31 days by
 * default): a LocalKey whose version is older than that gets a new one, as cloud KMSs rotate their
 * keys automatically. Only VALID keys; a key that fails to rotate is tried again on the next run.
 */
public final class LocalKeyRotationJob implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalKeyRotationJob.class);

    private final KeyStore store;
    private final KeyRotation rotation;
    private final Duration every;
    private final Clock clock;

    public LocalKeyRotationJob(KeyStore store, KeyRotation rotation, Duration every, Clock clock) {
        this.store = store;
        this.rotation = rotation;
        this.every = every;
        this.clock = clock;
    }

    /** How often the job should look for keys due: often enough to rotate within a tenth of the interval, at most hourly. */
    public Duration checkPeriod() {
        Duration tenth = every.dividedBy(10);
        return tenth.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : tenth;
    }

    @Override
    public void run() {
        try {
            for (String id : store.localKeysRotatedBefore(clock.millis() - every.toMillis(), 100)) {
                KeyRow row = store.get(id).orElse(null);
                if (row == null) {
                    continue;
                }
                try {
                    rotation.rotate(row, Audits.SYSTEM, "scheduled rotation (local-key-rotation " + every + ")");
                } catch (RuntimeException e) {
                    LOG.warn("scheduled rotation of local key {} failed; retrying on the next run: {}", row.id(), e.toString());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("scheduled rotation of local keys failed: {}", e.toString());
        }
    }
}
