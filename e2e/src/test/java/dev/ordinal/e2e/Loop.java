package dev.ordinal.e2e;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Runs one emulator's pass again and again on a thread of its own, as a controller's sync loop does. A failed pass
 * (a 409 from an update that raced another writer, a read that failed) is logged and the next pass tries again,
 * which is how the real controllers converge too. Pausing stands for a component that is slow or down.
 */
final class Loop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Loop.class);

    private final String name;
    private final Runnable pass;
    private final ScheduledExecutorService thread;
    private final ReentrantLock running = new ReentrantLock();
    private volatile boolean paused;

    Loop(String name, long periodMillis, Runnable pass) {
        this.name = name;
        this.pass = pass;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "e2e-" + name);
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::once, 0, periodMillis, TimeUnit.MILLISECONDS);
    }

    private void once() {
        running.lock();
        try {
            if (!paused) {
                pass.run();
            }
        } catch (RuntimeException e) {
            LOG.debugf("%s: pass failed, retried on the next: %s", name, e.getMessage());
        } finally {
            running.unlock();
        }
    }

    /** Stops the passes; returns once a pass under way has finished, so nothing of this emulator runs after it. */
    void pause() {
        paused = true;
        running.lock();
        running.unlock();
    }

    void resume() {
        paused = false;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
