package io.keyhold.proxy;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** How every Keyhold config file writes a duration (the server's and the standalone proxy's alike). */
public final class ConfigDurations {
    private ConfigDurations() {
    }

    /**
     * ISO-8601 ({@code PT10S}, {@code P5D}) or a number with a unit: {@code 500ms}, {@code 10s},
     * {@code 5m}, {@code 2h}, {@code 5d}; {@code name} is the option, for the error message.
     */
    public static Duration parse(String value, String name) {
        String s = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(s.toUpperCase(Locale.ROOT));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(name + " must be a duration such as 10s, 5m, 5d or PT10S, got '" + value + "'");
        }
    }
}
