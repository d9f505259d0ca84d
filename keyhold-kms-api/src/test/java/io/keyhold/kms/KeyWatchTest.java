package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decisions of {@link KeyWatch}: a refusal locks at once, an outage only after the grace period. */
class KeyWatchTest {
    private static final Duration GRACE = Duration.ofMinutes(10);
    private static final KmsUnavailableException DOWN = new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL,
            "HTTP 503");
    private static final KmsDeniedException DISABLED = new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "key k is disabled");

    private Instant now = Instant.parse("2026-12-02T00:00:00Z");
    private final List<String> events = new ArrayList<>();
    private final KeyWatch.Listener recorder = new KeyWatch.Listener() {
        @Override
        public void unavailable(Instant since, String problem) {
            events.add("unavailable " + since);
        }

        @Override
        public void available(Instant since) {
            events.add("available " + since);
        }

        @Override
        public void lock(String reason, boolean outage) {
            events.add("lock " + (outage ? "outage" : "denied") + ": " + reason);
        }

        @Override
        public void unlock() {
            events.add("unlock");
        }
    };

    private KeyWatch watch() {
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
        return new KeyWatch(GRACE, clock, recorder);
    }

    @Test
    void aRefusalLocksAtOnceAndAccessBackUnlocks() {
        KeyWatch w = watch();
        w.observe(null);
        w.observe(DISABLED);
        w.observe(DISABLED);
        assertThat(w.status().condition()).isEqualTo(KeyWatch.Condition.LOCKED);
        w.observe(null);
        assertThat(events).containsExactly("lock denied: The key is disabled in its KMS; enable it to use it. (key k is disabled)",
                "unlock");
        assertThat(w.status().condition()).isEqualTo(KeyWatch.Condition.OK);
    }

    @Test
    void anOutageIsReportedOnceAndLocksOnlyAfterTheGracePeriodWithSinceInTheReason() {
        KeyWatch w = watch();
        Instant start = now;
        w.observe(DOWN);
        now = now.plus(GRACE).minusSeconds(1);
        w.observe(new java.util.concurrent.CompletionException(DOWN));
        assertThat(w.status().condition()).isEqualTo(KeyWatch.Condition.UNAVAILABLE);
        assertThat(w.status().unavailableSince()).isEqualTo(start);
        assertThat(events).containsExactly("unavailable " + start);
        now = now.plusSeconds(1);
        w.observe(DOWN);
        assertThat(w.status().condition()).isEqualTo(KeyWatch.Condition.LOCKED);
        assertThat(w.status().lockReason()).startsWith("KMS unreachable since 2026-12-02T00:00:00Z");
        assertThat(w.status().unavailableChecks()).isEqualTo(3);
        w.observe(DOWN);
        w.observe(null);
        assertThat(events).hasSize(4);
        assertThat(events.get(1)).startsWith("lock outage: KMS unreachable since");
        assertThat(events.subList(2, 4)).containsExactly("available " + start, "unlock");
        assertThat(w.status().unavailableSince()).isNull();
    }

    @Test
    void theSameRefusalInOtherWordsIsOneLockAndAnotherKindOfRefusalIsANewOne() {
        KeyWatch w = watch();
        // a check whose generate passed before the key was disabled fails at unwrap; the next one at generate
        w.observe(new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "Decrypt of k: DisabledException"));
        w.observe(new KmsDeniedException(KmsDeniedException.Reason.DISABLED, "GenerateDataKey of k: DisabledException"));
        assertThat(events).containsExactly(
                "lock denied: The key is disabled in its KMS; enable it to use it. (Decrypt of k: DisabledException)");
        w.observe(new KmsDeniedException(KmsDeniedException.Reason.PENDING_DELETION, "k is pending deletion"));
        assertThat(events).hasSize(2);
        assertThat(events.get(1)).startsWith("lock denied: The key is scheduled for deletion");
        assertThat(w.status().lockReason()).startsWith("The key is scheduled for deletion");
    }

    @Test
    void aRefusalDuringAnOutageEndsTheOutageAndLocksAtOnce() {
        KeyWatch w = watch();
        w.observe(DOWN);
        w.observe(DISABLED);
        assertThat(events).hasSize(3);
        assertThat(events.get(1)).startsWith("available");
        assertThat(events.get(2)).startsWith("lock denied");
    }

    @Test
    void anOutageRecordedBeforeARestartCountsFromItsStartAndALockedClusterStaysLockedUntilAccessIsBack() {
        Instant earlier = now.minus(GRACE);
        KeyWatch w = new KeyWatch(GRACE, Clock.fixed(now, ZoneOffset.UTC), recorder, false, null, earlier);
        w.observe(DOWN);
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).startsWith("lock outage: KMS unreachable since " + earlier);

        events.clear();
        KeyWatch locked = new KeyWatch(GRACE, Clock.fixed(now, ZoneOffset.UTC), recorder, true,
                KeyWatch.deniedReason(DISABLED), null);
        locked.observe(DISABLED);
        assertThat(events).as("the same refusal as before the restart is not a new lock").isEmpty();
        locked.observe(null);
        assertThat(events).containsExactly("unlock");
    }

    @Test
    void otherFailuresDecideNothing() {
        KeyWatch w = watch();
        IllegalStateException bug = new IllegalStateException("bug");
        assertThat(w.observe(bug)).isSameAs(bug);
        assertThat(events).isEmpty();
        assertThat(w.status().condition()).isEqualTo(KeyWatch.Condition.OK);
    }
}
