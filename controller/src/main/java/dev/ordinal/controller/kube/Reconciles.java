package dev.ordinal.controller.kube;

import dev.ordinal.controller.kube.metrics.ControllerMetrics;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The keys waiting for a reconcile, one thread to run them (so one StatefulSet is never reconciled twice at once),
 * a look again at the time a plan asks for, and a growing delay (100 ms doubling to 30 s) after a failure such as
 * a 409 Conflict (conflicts: 100 ms more per conflict in a row, at most 1 s). fabric8 informers bring events but no work queue, and JOSDK's could not be used (see the README):
 * this is the smallest stand-in. A key queued twice before it runs is reconciled once.
 */
final class Reconciles implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Reconciles.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration LAST_RETRY = Duration.ofSeconds(30);

    private final ScheduledExecutorService executor;
    private final Reconcile reconcile;
    private final ControllerMetrics metrics;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private volatile boolean active;

    /** One reconcile of one key; the instant to look again, if any. */
    @FunctionalInterface
    interface Reconcile {
        Optional<Instant> run(String key) throws Exception;
    }

    Reconciles(String name, Reconcile reconcile, ControllerMetrics metrics) {
        this.reconcile = reconcile;
        this.metrics = metrics;
        metrics.queueDepth(pending::size);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "ordinal-reconcile-" + name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Reconciles run only while active (while this instance leads); keys queued meanwhile are dropped. */
    void resume() {
        active = true;
    }

    void pause() {
        active = false;
    }

    void enqueue(String key) {
        if (active && pending.add(key)) {
            executor.execute(() -> run(key));
        }
    }

    void enqueueAll(Collection<String> keys) {
        keys.forEach(this::enqueue);
    }

    private void later(String key, Duration delay) {
        if (!executor.isShutdown()) {
            executor.schedule(() -> enqueue(key), Math.max(0, delay.toMillis()) + 10, TimeUnit.MILLISECONDS);
        }
    }

    private void run(String key) {
        pending.remove(key);
        if (!active) {
            return;
        }
        try {
            Optional<Instant> revisit = metrics.duration().recordCallable(() -> reconcile.run(key));
            failures.remove(key);
            revisit.ifPresent(at -> later(key, Duration.between(Instant.now(), at)));
        } catch (Exception e) {
            metrics.error();
            int count = failures.merge(key, 1, Integer::sum);
            Duration delay = FIRST_RETRY.multipliedBy(1L << Math.min(count - 1, 16));
            delay = delay.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : delay;
            if (conflict(e)) {
                // A 409 means the cache was behind a concurrent write, not that something is broken: the write's
                // watch event brings fresh state at once. A run of them (a busy claim) must not push the next try
                // out to 30 s, so conflicts back off linearly, to at most a second.
                delay = FIRST_RETRY.multipliedBy(Math.min(count, 10));
            }
            LOG.infof("Reconcile of %s failed (attempt %d), again in %d ms: %s", key, count, delay.toMillis(), e.getMessage());
            later(key, delay);
        }
    }

    private static boolean conflict(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof KubernetesClientException k && k.getCode() == 409) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        active = false;
        executor.shutdownNow();
    }
}
