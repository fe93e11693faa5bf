package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * fabric8's LeaderElector on a Lease. Its future ends when leadership is lost; then this instance stops
 * reconciling and stands for election again (rather than exiting the process, as JOSDK does by default).
 */
final class Leadership {

    private static final Logger LOG = Logger.getLogger(Leadership.class);

    private final KubernetesClient client;
    private final Settings settings;
    private final Runnable onStart;
    private final Runnable onStop;
    private volatile boolean leader;
    private volatile boolean stopped = true;
    private CompletableFuture<?> running;

    Leadership(KubernetesClient client, Settings settings, Runnable onStart, Runnable onStop) {
        this.client = client;
        this.settings = settings;
        this.onStart = onStart;
        this.onStop = onStop;
    }

    synchronized void start() {
        if (!stopped) {
            return;
        }
        stopped = false;
        elect();
    }

    private synchronized void elect() {
        if (stopped) {
            return;
        }
        var config = new LeaderElectionConfigBuilder()
                .withName(settings.leaseName())
                .withLock(new LeaseLock(settings.leaseNamespace(), settings.leaseName(), settings.identity()))
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::started, this::ended,
                        holder -> LOG.infof("%s: leader is %s", settings.identity(), holder)))
                .build();
        CompletableFuture<?> future = client.leaderElector().withConfig(config).build().start();
        running = future;
        future.whenComplete((ignored, error) -> {
            ended();
            if (!stopped) {
                CompletableFuture.delayedExecutor(settings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS)
                        .execute(this::elect);
            }
        });
    }

    private void started() {
        LOG.infof("%s: leading on Lease %s/%s", settings.identity(), settings.leaseNamespace(), settings.leaseName());
        leader = true;
        onStart.run();
    }

    private void ended() {
        if (leader) {
            LOG.infof("%s: no longer leading", settings.identity());
        }
        leader = false;
        onStop.run();
    }

    boolean isLeader() {
        return leader;
    }

    /** Stops reconciling at once, then releases the Lease so that another instance takes over. */
    synchronized void stop() {
        stopped = true;
        ended();
        if (running != null) {
            running.cancel(true);
            running = null;
        }
    }
}
