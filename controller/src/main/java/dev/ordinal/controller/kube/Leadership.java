package dev.ordinal.controller.kube;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * fabric8's LeaderElector on a Lease. Its future ends when leadership is lost; then this instance stops
 * reconciling and stands for election again (rather than exiting the process, as JOSDK does by default).
 *
 * <p>Two guards against a leader that does not notice it lost the Lease (found by ControllerFaultTest: Lease
 * updates answered 500 kept the old leader's renewal inside the client's own retries, ~100 s with fabric8's
 * defaults, past the renew deadline the elector checks between attempts, while another replica took over):
 * the elector gets a client of its own that does not retry and gives up on a request after half the renew
 * deadline (the elector retries every retry period anyway), and {@link #isLeader()} is true only while the last
 * renewal of ours is younger than the renew deadline, whatever the elector believes.
 */
final class Leadership {

    private static final Logger LOG = Logger.getLogger(Leadership.class);

    private final KubernetesClient client;
    private final Settings settings;
    private final Runnable onStart;
    private final Runnable onStop;
    private volatile boolean leader;
    private volatile boolean stopped = true;
    /** System.nanoTime() of the last create or update of the Lease that named us holder. */
    private volatile long renewed;
    private CompletableFuture<?> running;
    private KubernetesClient electorClient;

    Leadership(KubernetesClient client, Settings settings, Runnable onStart, Runnable onStop) {
        this.client = client;
        this.settings = settings;
        this.onStart = onStart;
        this.onStop = onStop;
    }

    private synchronized KubernetesClient electorClient() {
        if (electorClient == null) {
            electorClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
                    .withRequestRetryBackoffLimit(0)
                    .withRequestTimeout((int) Math.max(100, settings.renewDeadline().toMillis() / 2))
                    .build()).build();
        }
        return electorClient;
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
                .withLock(new RenewalTrackingLock(new LeaseLock(settings.leaseNamespace(), settings.leaseName(), settings.identity())))
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::started, this::ended,
                        holder -> LOG.infof("%s: leader is %s", settings.identity(), holder)))
                .build();
        CompletableFuture<?> future = electorClient().leaderElector().withConfig(config).build().start();
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

    /** Leading, and the Lease renewed by us within the renew deadline (else another replica may have it now). */
    boolean isLeader() {
        return leader && System.nanoTime() - renewed < settings.renewDeadline().toNanos();
    }

    /** The Lease lock, noting when a write naming us holder succeeded: that is what leadership rests on. */
    private final class RenewalTrackingLock implements Lock {

        private final Lock lease;

        RenewalTrackingLock(Lock lease) {
            this.lease = lease;
        }

        @Override
        public LeaderElectionRecord get(KubernetesClient client) {
            return lease.get(client);
        }

        @Override
        public void create(KubernetesClient client, LeaderElectionRecord record) {
            long before = System.nanoTime();
            lease.create(client, record);
            noteRenewal(record, before);
        }

        @Override
        public void update(KubernetesClient client, LeaderElectionRecord record) {
            long before = System.nanoTime();
            lease.update(client, record);
            noteRenewal(record, before);
        }

        /** Counted from before the write: the Lease's renewTime is from then, so its expiry counts from then too. */
        private void noteRenewal(LeaderElectionRecord record, long before) {
            if (identity().equals(record.getHolderIdentity())) {
                renewed = before;
            }
        }

        @Override
        public String identity() {
            return lease.identity();
        }

        @Override
        public String describe() {
            return lease.describe();
        }
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

    /** Stops, then closes the elector's own client. */
    synchronized void close() {
        stop();
        if (electorClient != null) {
            electorClient.close();
            electorClient = null;
        }
    }
}
