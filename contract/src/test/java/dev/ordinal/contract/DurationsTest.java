package dev.ordinal.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The duration annotations accept Go-style and ISO-8601 text, and refuse anything else. */
class DurationsTest {

    @ParameterizedTest
    @CsvSource({"10m,PT10M", "1h30m,PT1H30M", "90s,PT1M30S", "1500ms,PT1.5S", "PT10M,PT10M", "' 2h ',PT2H", "0s,PT0S"})
    void readsGoAndIsoDurations(String text, String expected) {
        assertEquals(Optional.of(Duration.parse(expected)), Durations.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ten minutes", "10", "10d", "m10", "-5m", "PT-5M", "1h 30m", ""})
    void refusesAnythingElse(String text) {
        assertEquals(Optional.empty(), Durations.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"PT10M,10m", "PT1H30M,1h30m", "PT12M5S,12m5s", "PT0.5S,500ms", "PT2H,2h", "PT0S,0ms"})
    void formatsAsUsersWriteThem(String duration, String text) {
        assertEquals(text, Durations.format(Duration.parse(duration)));
    }
}
