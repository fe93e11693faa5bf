package dev.ordinal.driver.cluster;

import dev.ordinal.driver.error.DriverError;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The node agent's volume work, off the informer's thread: an informer callback only records which resource
 * changed, and a few worker threads do the work, one resource at a time per key and different keys side by side.
 * Work for a key that is queued again while it runs runs once more afterwards (it reads the latest state then,
 * so any number of changes in between collapse into one run). Work that finds its volume locked by a node RPC
 * ({@link DriverError.Aborted}) is tried again shortly, as the CO retries an RPC that got ABORTED.
 */
final class AgentWork implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AgentWork.class);
    /** Volume work mostly waits on disks and child processes (mkfs, btrfs, cp), so a few run at once. */
    private static final int WORKERS = 4;

    private final Duration retryAfter;
    private final Duration stopGrace;
    private final ScheduledThreadPoolExecutor workers;
    private final Map<String, Runnable> waiting = new ConcurrentHashMap<>();
    /** Keys a worker is draining now; a key is never in two workers at once. */
    private final Set<String> draining = ConcurrentHashMap.newKeySet();

    AgentWork(String node, Duration retryAfter, Duration stopGrace) {
        this.retryAfter = retryAfter;
        this.stopGrace = stopGrace;
        AtomicInteger count = new AtomicInteger();
        this.workers = new ScheduledThreadPoolExecutor(WORKERS, r -> {
            Thread thread = new Thread(r, "ordinal-node-agent-work-" + node + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        // Stopping drops pending retries: the next start's informer listing finds whatever they would have done.
        workers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Queues the work for a key, replacing work for that key that has not started yet. Never blocks. */
    void submit(String key, Runnable work) {
        waiting.put(key, work);
        dispatch(key);
    }

    private void dispatch(String key) {
        if (!draining.add(key)) {
            return; // its worker picks the new work up before it lets the key go
        }
        try {
            workers.execute(() -> drain(key));
        } catch (RejectedExecutionException stopping) {
            draining.remove(key);
        }
    }

    private void drain(String key) {
        try {
            Runnable work;
            while ((work = waiting.remove(key)) != null) {
                runOnce(key, work);
            }
        } finally {
            draining.remove(key);
            // Queued between the last remove and letting the key go: nobody else would start it.
            if (waiting.containsKey(key)) {
                dispatch(key);
            }
        }
    }

    private void runOnce(String key, Runnable work) {
        try {
            work.run();
        } catch (DriverError.Aborted busy) {
            LOG.debugf("%s waits: %s", key, busy.getMessage());
            try {
                workers.schedule(() -> {
                    // Newer work for the key, if any came in meanwhile, reads the same latest state.
                    if (waiting.putIfAbsent(key, work) == null) {
                        dispatch(key);
                    }
                }, retryAfter.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // Stopping: the next start converges from the resources.
            }
        } catch (RuntimeException e) {
            // The informer's next resync queues it again.
            LOG.warnf(e, "%s failed", key);
        }
    }

    /** Takes no more work, lets the running work finish within the grace period, then interrupts it. */
    @Override
    public void close() {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("volume work still running after %s; interrupting it (each step is safe to redo)",
                        stopGrace);
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
