package dev.ordinal.driver.leadership;

import dev.ordinal.driver.error.DriverError;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Whether this controller replica leads: the csi-provisioner of its own pod holds csi-provisioner's Lease. The
 * driver follows that Lease rather than holding one of its own because csi-provisioner sends CreateVolume and
 * DeleteVolume only to the driver in its own pod: with a Lease of the driver's own, the provisioner could lead in
 * one pod and the driver in the other, and nothing would ever be placed. The provisioner renews the Lease; this
 * class only reads it.
 *
 * <p>csi-provisioner names itself in the Lease by a random identity (start time, a random number, the driver name),
 * not by its pod. Its own pod's driver learns it from the provisioner's {@code leader_election_master_status} gauge
 * ({@link ProvisionerStatus}): when the gauge says the provisioner leads and no identity is known yet, the holder
 * of the Lease then is that provisioner (it wrote the Lease just before it set the gauge); when the gauge says it
 * does not lead, or cannot be read (the provisioner restarts with a new identity), the identity is forgotten. A
 * provisioner frozen and resumed still says it leads, but the identity learned before the freeze no longer holds
 * the Lease: that is what {@link #requireLeading} finds.
 *
 * <p>The Lease counts as ours while it names that identity and was renewed less than {@code validity} ago, by the
 * clock of this node (the provisioner runs in the same pod, so it wrote renewTime with the same clock). A read stays
 * good for what remains of that time, measured on the monotonic clock, which also runs while the process is stopped:
 * a replica frozen past its Lease reads the Lease again before its next write, and finds it no longer the holder.
 * The validity must stay below the Lease's duration (csi-provisioner's renew deadline is): the difference is the
 * margin for a write already on its way when the time runs out.
 */
public final class ProvisionerLease implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ProvisionerLease.class);
    private static final Reading NONE = new Reading("", "", Long.MIN_VALUE);

    /** One read of the Lease: who held it, since when (the term), and until when (nanoTime) it counts as renewed. */
    public record Reading(String holder, String term, long goodUntilNanos) {

        boolean ours(String provisioner) {
            return !provisioner.isEmpty() && provisioner.equals(holder) && System.nanoTime() - goodUntilNanos < 0;
        }
    }

    /** Whether this pod's csi-provisioner says it leads; false when it cannot be asked. */
    public interface ProvisionerStatus {
        boolean leads();
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String pod;
    private final Duration validity;
    private final Clock clock;
    private final ProvisionerStatus provisioner;
    private final ScheduledExecutorService watching = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "provisioner-lease");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Reading last = NONE;
    /** The Lease identity of this pod's csi-provisioner while it leads; empty otherwise. */
    private volatile String identity = "";

    public ProvisionerLease(KubernetesClient client, String namespace, String name, String pod, Duration validity,
            Clock clock, ProvisionerStatus provisioner) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.pod = pod;
        this.validity = validity;
        this.clock = clock;
        this.provisioner = provisioner;
    }

    /** Asks the pod's provisioner every half second whether it leads; the first answer before this returns. */
    public ProvisionerLease start() {
        observe();
        watching.scheduleWithFixedDelay(this::observe, 500, 500, TimeUnit.MILLISECONDS);
        return this;
    }

    /** This replica's pod: what it records on what it places. */
    public String pod() {
        return pod;
    }

    void observe() {
        try {
            if (!provisioner.leads()) {
                if (!identity.isEmpty()) {
                    LOG.infof("pod=%s its csi-provisioner (%s) no longer leads", pod, identity);
                }
                identity = "";
                return;
            }
            if (identity.isEmpty()) {
                Reading reading = read();
                if (!reading.holder().isEmpty() && System.nanoTime() - reading.goodUntilNanos() < 0) {
                    identity = reading.holder();
                    LOG.infof("pod=%s its csi-provisioner leads as %s on Lease %s/%s", pod, identity, namespace,
                            name);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("pod=%s cannot tell whether its csi-provisioner leads: %s", pod, e.getMessage());
        }
    }

    /** The last reading while it is good and ours; otherwise a fresh one from the API server. */
    public Reading current() {
        Reading known = last;
        if (known.ours(identity)) {
            return known;
        }
        return read();
    }

    public boolean leading(Reading reading) {
        return reading.ours(identity);
    }

    /**
     * The term this replica leads in, read again when the last reading is no longer good; UNAVAILABLE naming the
     * holder when it does not lead. Called before each write that places or deletes.
     */
    public String requireLeading(String what) {
        Reading reading = current();
        if (!reading.ours(identity)) {
            throw new DriverError.Unavailable("not " + what + ": this controller replica (pod " + pod
                    + ") is not the leader; Lease " + namespace + "/" + name + " is held by "
                    + (reading.holder().isEmpty() ? "no one" : reading.holder()) + ", its csi-provisioner "
                    + (identity.isEmpty() ? "does not lead" : "is " + identity)
                    + " (csi-provisioner retries, and reaches the leader's pod)");
        }
        return reading.term();
    }

    private Reading read() {
        long readAt = System.nanoTime();
        Lease lease;
        try {
            lease = client.leases().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            // Not knowing is not leading: no write without a Lease read that says so.
            last = NONE;
            throw new DriverError.Unavailable("cannot read Lease " + namespace + "/" + name
                    + " to tell whether this controller replica leads: " + e.getMessage());
        }
        Reading reading = Optional.ofNullable(lease).map(Lease::getSpec).map(spec -> reading(spec, readAt))
                .orElse(NONE);
        last = reading;
        return reading;
    }

    private Reading reading(LeaseSpec spec, long readAt) {
        String holder = Objects.requireNonNullElse(spec.getHolderIdentity(), "");
        ZonedDateTime renewed = spec.getRenewTime();
        if (renewed == null) {
            return new Reading(holder, "", Long.MIN_VALUE);
        }
        Duration age = Duration.between(renewed.toInstant(), clock.instant());
        Duration left = validity.minus(age.isNegative() ? Duration.ZERO : age);
        // A new holder or a new acquisition by the same holder is a new term: another replica may have placed in
        // between, so the model is rebuilt.
        String term = holder + "@" + spec.getAcquireTime() + "#" + spec.getLeaseTransitions();
        return new Reading(holder, term, left.isNegative() ? readAt : readAt + left.toNanos());
    }

    @Override
    public void close() {
        watching.shutdownNow();
    }
}
