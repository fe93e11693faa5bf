package dev.ordinal.driver.volume;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The driver's timer for held volumes: every {@code tick} it purges those whose grace is over. A tick reads the
 * in-memory list of held volumes only, so a short one costs nothing while none is due.
 */
public final class HeldPurger implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HeldPurger.class);

    private final ScheduledExecutorService timer;

    private HeldPurger(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    public static HeldPurger start(VolumeService service, Duration tick) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "ordinal-held-purger");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                service.purgeDue();
            } catch (RuntimeException e) {
                // The next tick tries again; a volume busy with an RPC is purged then.
                LOG.warnf("purging held volumes failed: %s", e.getMessage());
            }
        }, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
        return new HeldPurger(timer);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
