package io.keyhold.server.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The budgets behind failed-login limiting: per address (IPv6 per /64) and per key id; a success gives its unit back. */
class FailedLoginsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void ipv6ClientsAreCountedPerSlash64() {
        assertThat(FailedLogins.addressBlock("2001:db8:1:2:aaaa::1")).isEqualTo(FailedLogins.addressBlock("[2001:db8:1:2:ffff:0:0:9]"));
        assertThat(FailedLogins.addressBlock("2001:db8:1:2::1")).isNotEqualTo(FailedLogins.addressBlock("2001:db8:1:3::1"));
        assertThat(FailedLogins.addressBlock("::ffff:192.0.2.7")).isEqualTo("192.0.2.7");
        assertThat(FailedLogins.addressBlock("192.0.2.7")).isEqualTo("192.0.2.7");

        FailedLogins limits = new FailedLogins(2, Duration.ofMinutes(1), clock);
        assertThat(limits.begin("2001:db8::1", "K1").allowed()).isTrue();
        assertThat(limits.begin("2001:db8::ffff", "K2").allowed()).isTrue();
        assertThat(limits.begin("2001:db8::1234", "K3").allowed()).as("the third failure from one /64").isFalse();
        assertThat(limits.begin("2001:db8:0:1::1", "K3").allowed()).as("the next /64").isTrue();
    }

    @Test
    void aSuccessDoesNotCountAndARefusalTakesNothing() {
        FailedLogins limits = new FailedLogins(1, Duration.ofMinutes(1), clock);
        for (int i = 0; i < 5; i++) {
            FailedLogins.Attempt ok = limits.begin("192.0.2.1", "K");
            assertThat(ok.allowed()).isTrue();
            ok.succeeded();
        }
        assertThat(limits.begin("192.0.2.1", "K").allowed()).isTrue(); // this login fails: its unit is not given back
        FailedLogins.Attempt refused = limits.begin("192.0.2.2", "K");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.decision().resetSeconds()).isEqualTo(60);
        refused.succeeded(); // gives back nothing it did not take
        assertThat(limits.begin("192.0.2.2", "OTHER").allowed()).as("the refused attempt took nothing from 192.0.2.2").isTrue();
        clock.advance(Duration.ofSeconds(60));
        assertThat(limits.begin("192.0.2.1", "K").allowed()).isTrue();
    }
}
