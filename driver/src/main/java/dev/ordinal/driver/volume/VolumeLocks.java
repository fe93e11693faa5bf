package dev.ordinal.driver.volume;

import dev.ordinal.driver.error.DriverError;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One operation at a time per volume (keyed by name for CreateVolume, by id for everything else), without a
 * global lock. A call that finds another operation in flight is not queued: it gets ABORTED and the CO
 * retries, as the CSI spec asks.
 */
public final class VolumeLocks {

    private final ConcurrentHashMap<String, String> inFlight = new ConcurrentHashMap<>();

    /** A held lock; closing it lets the next call in. */
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    public Held acquire(String key, String operation) {
        String other = inFlight.putIfAbsent(key, operation);
        if (other != null) {
            throw new DriverError.Aborted("an operation (" + other + ") on volume " + key
                    + " is already in progress; retry later");
        }
        return () -> inFlight.remove(key, operation);
    }
}
