package dev.ordinal.controller.kube;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs the test's stand-ins for Kubernetes' own controllers, one pass each every 50 ms, in order, on one thread: a
 * test server has no controllers, and these passes do their part for the objects of one test's namespace. A pass
 * that meets a conflict (the companion controller wrote first) simply runs again next time, as theirs would.
 */
final class EmulatorLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmulatorLoop.class);

    private final ScheduledExecutorService executor;

    EmulatorLoop(String name, List<Runnable> passes) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "emulators-" + name);
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(() -> {
            for (Runnable pass : passes) {
                try {
                    pass.run();
                } catch (RuntimeException e) {
                    LOG.debugf("Emulator pass failed, again next time: %s", e.getMessage());
                }
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
