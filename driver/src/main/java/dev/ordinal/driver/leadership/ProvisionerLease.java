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

/**
 * Whether this controller replica leads: its pod holds csi-provisioner's Lease. The driver follows that Lease rather
 * than holding one of its own because csi-provisioner sends CreateVolume and DeleteVolume only to the driver in its
 * own pod: with a Lease of the driver's own, the provisioner could lead in one pod and the driver in the other, and
 * nothing would ever be placed. The provisioner renews the Lease; this class only reads it.
 *
 * <p>The Lease counts as ours while it names this pod and was renewed less than {@code validity} ago, by the clock
 * of this node (the provisioner runs in the same pod, so it wrote renewTime with the same clock). A read stays good
 * for what remains of that time, measured on the monotonic clock, which also runs while the process is stopped: a
 * replica frozen past its Lease reads the Lease again before its next write, and finds it is no longer the holder.
 * The validity must stay below the Lease's duration (csi-provisioner's renew deadline is): the difference is the
 * margin for a write already on its way when the time runs out.
 */
public final class ProvisionerLease {

    /** One read of the Lease: who held it, since when (the term), and until when (nanoTime) ours counts as good. */
    public record Reading(String holder, String term, long goodUntilNanos) {

        public boolean ours(String identity) {
            return identity.equals(holder) && System.nanoTime() < goodUntilNanos;
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String identity;
    private final Duration validity;
    private final Clock clock;
    private volatile Reading last = new Reading("", "", Long.MIN_VALUE);

    public ProvisionerLease(KubernetesClient client, String namespace, String name, String identity,
            Duration validity, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.identity = identity;
        this.validity = validity;
        this.clock = clock;
    }

    public String identity() {
        return identity;
    }

    /** The last reading while it is good and ours; otherwise a fresh one from the API server. */
    public Reading current() {
        Reading known = last;
        if (known.ours(identity)) {
            return known;
        }
        return read();
    }

    /**
     * The term this replica leads in, read again when the last reading is no longer good; UNAVAILABLE naming the
     * holder when it does not lead. Called before each write that places or deletes.
     */
    public String requireLeading(String what) {
        Reading reading = current();
        if (!reading.ours(identity)) {
            throw new DriverError.Unavailable("not " + what + ": this controller replica (" + identity
                    + ") is not the leader; Lease " + namespace + "/" + name + " is held by "
                    + (reading.holder().isEmpty() ? "no one" : reading.holder())
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
            Reading unknown = new Reading("", "", Long.MIN_VALUE);
            last = unknown;
            throw new DriverError.Unavailable("cannot read Lease " + namespace + "/" + name
                    + " to tell whether this controller replica leads: " + e.getMessage());
        }
        Reading reading = Optional.ofNullable(lease).map(Lease::getSpec).map(spec -> reading(spec, readAt))
                .orElse(new Reading("", "", Long.MIN_VALUE));
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
        return new Reading(holder, term, left.isNegative() ? Long.MIN_VALUE : readAt + left.toNanos());
    }
}
