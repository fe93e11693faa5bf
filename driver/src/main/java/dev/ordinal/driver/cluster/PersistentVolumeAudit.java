package dev.ordinal.driver.cluster;

import dev.ordinal.contract.Api;
import dev.ordinal.contract.crd.OrdinalVolume;
import dev.ordinal.driver.model.VolumeId;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Compares, both ways, the PersistentVolumes of this driver's local volumes with the OrdinalVolumes that record
 * them: a PersistentVolume whose OrdinalVolume is gone (its record deleted, its CRD deleted), and an OrdinalVolume
 * no PersistentVolume points to (a PV deleted by hand with reclaim policy Retain, or a volume made by a CSI call
 * outside Kubernetes). A mismatch is reported only once it has lasted the grace period, so a CreateVolume or
 * DeleteVolume in flight (the OrdinalVolume is written before the PV, and deleted before it) is never reported:
 * as a gauge by kind, and one Warning Event on the object that is there. It changes nothing: which side is right
 * is for an operator to decide, and the data stays on its node either way (see NodeAgent).
 *
 * <p>It runs in the driver's controller, which already watches the PersistentVolumes (ClusterClaims' informer,
 * read here without a request) and owns the OrdinalVolumes; the companion controller is optional and knows
 * neither the volume ids nor the contract's records. NFS volumes have no OrdinalVolume and are not compared.
 */
public final class PersistentVolumeAudit implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PersistentVolumeAudit.class);

    /** What a mismatch is; the name in lower case is the metric's {@code kind}. */
    public enum Mismatch {
        /** A PersistentVolume of a local volume whose OrdinalVolume does not exist. */
        PV_WITHOUT_VOLUME,
        /** An OrdinalVolume (not being deleted) that no PersistentVolume points to. */
        VOLUME_WITHOUT_PV;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One mismatch found: the volume, and the object it was found on (the Event goes there). */
    record Finding(Mismatch kind, String volumeId, String kindOfObject, String object) {
    }

    private record Seen(Instant since, boolean reported) {
    }

    private final KubernetesClient client;
    private final ClusterClaims persistentVolumes;
    private final Duration period;
    private final Duration grace;
    private final Clock clock;
    private final BooleanSupplier leading;
    private final Map<Finding, Seen> seen = new ConcurrentHashMap<>();
    private volatile Map<Mismatch, Integer> reported = counts(Map.of());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ordinal-pv-audit");
        thread.setDaemon(true);
        return thread;
    });

    public PersistentVolumeAudit(KubernetesClient client, ClusterClaims persistentVolumes, Duration period,
            Duration grace, Clock clock) {
        this(client, persistentVolumes, period, grace, clock, () -> true);
    }

    /** {@code leading}: with several controller replicas, whether this one leads; the others audit nothing. */
    public PersistentVolumeAudit(KubernetesClient client, ClusterClaims persistentVolumes, Duration period,
            Duration grace, Clock clock, BooleanSupplier leading) {
        this.leading = leading;
        this.client = client;
        this.persistentVolumes = persistentVolumes;
        this.period = period;
        this.grace = grace;
        this.clock = clock;
    }

    public PersistentVolumeAudit start() {
        timer.scheduleWithFixedDelay(this::auditQuietly, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        LOG.infof("PersistentVolume audit every %s, reporting mismatches that last %s", period, grace);
        return this;
    }

    /** Mismatches of this kind that have lasted the grace period, as the last pass saw them. */
    public int reported(Mismatch kind) {
        return reported.get(kind);
    }

    private void auditQuietly() {
        try {
            audit();
        } catch (RuntimeException e) {
            LOG.warnf(e, "PersistentVolume audit failed; it runs again in %s", period);
        }
    }

    /** One pass. Public for tests that drive it. */
    public synchronized void audit() {
        if (!leading.getAsBoolean()) {
            // One report per mismatch, from the leader: a replica that is not leading forgets what it saw, so a
            // new leader starts the grace period afresh rather than report what the old one did.
            seen.clear();
            reported = counts(Map.of());
            return;
        }
        Optional<List<OrdinalVolume>> records = records();
        if (records.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        Set<Finding> found = compare(persistentVolumes.driverVolumes(), records.get());
        seen.keySet().retainAll(found);
        Map<Mismatch, Integer> counts = new EnumMap<>(Mismatch.class);
        for (Finding finding : found) {
            Seen state = seen.computeIfAbsent(finding, f -> new Seen(now, false));
            if (state.since().plus(grace).isAfter(now)) {
                continue;
            }
            if (!state.reported()) {
                seen.put(finding, new Seen(state.since(), true));
                report(finding);
            }
            counts.merge(finding.kind(), 1, Integer::sum);
        }
        reported = counts(counts);
    }

    /**
     * The OrdinalVolumes now; none when their CRD is gone (404: no record exists, which is what the PVs are then
     * compared with), nothing at all when they cannot be read (a pass that cannot see is no evidence).
     */
    private Optional<List<OrdinalVolume>> records() {
        try {
            return Optional.of(client.resources(OrdinalVolume.class).list().getItems());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                LOG.warnf("the OrdinalVolume CRD is gone: every PersistentVolume of a local volume lacks its record");
                return Optional.of(List.of());
            }
            LOG.warnf("OrdinalVolumes unreadable (HTTP %d), audit skipped: %s", e.getCode(), e.getMessage());
            return Optional.empty();
        }
    }

    /** The mismatches between the PVs and the records, a pure function of both. */
    static Set<Finding> compare(List<PersistentVolume> volumes, List<OrdinalVolume> records) {
        Map<String, String> pvByHandle = new HashMap<>();
        for (PersistentVolume volume : volumes) {
            String handle = volume.getSpec().getCsi().getVolumeHandle();
            if (handle != null && VolumeId.parse(handle).isPresent()) {
                pvByHandle.put(handle, volume.getMetadata().getName());
            }
        }
        Set<String> recorded = new HashSet<>();
        Set<Finding> found = new HashSet<>();
        for (OrdinalVolume record : records) {
            String id = record.getSpec().volumeId;
            recorded.add(id);
            // One being deleted has no PV by then (DeleteVolume runs after the claim and before the PV goes).
            if (record.getMetadata().getDeletionTimestamp() == null && !pvByHandle.containsKey(id)) {
                found.add(new Finding(Mismatch.VOLUME_WITHOUT_PV, id, "OrdinalVolume", record.getMetadata().getName()));
            }
        }
        pvByHandle.forEach((handle, pv) -> {
            if (!recorded.contains(handle)) {
                found.add(new Finding(Mismatch.PV_WITHOUT_VOLUME, handle, "PersistentVolume", pv));
            }
        });
        return found;
    }

    private void report(Finding finding) {
        String message = switch (finding.kind()) {
            case PV_WITHOUT_VOLUME -> "PersistentVolume " + finding.object() + " points to volume "
                    + finding.volumeId() + ", which has had no OrdinalVolume for " + grace + " (its record or its "
                    + "CRD was deleted). Its data, if any, stays on node " + VolumeId.parse(finding.volumeId())
                    .map(VolumeId::node).orElse("?") + " (reported there as unreferenced); without the record the "
                    + "driver can neither grow it nor delete its data, and a DeleteVolume removes only the PV";
            case VOLUME_WITHOUT_PV -> "OrdinalVolume " + finding.object() + " (volume " + finding.volumeId()
                    + ") has had no PersistentVolume for " + grace + "; its data stays until a DeleteVolume for it";
        };
        LOG.warnf("%s: %s", finding.kind().wireName(), message);
        String apiVersion = "PersistentVolume".equals(finding.kindOfObject()) ? "v1" : Api.API_VERSION;
        String reason = finding.kind() == Mismatch.PV_WITHOUT_VOLUME ? "VolumeRecordMissing"
                : "PersistentVolumeMissing";
        try {
            client.v1().events().inNamespace("default").resource(new EventBuilder()
                    .withMetadata(new ObjectMetaBuilder().withGenerateName("ordinal-audit-").build())
                    .withNewInvolvedObject().withApiVersion(apiVersion).withKind(finding.kindOfObject())
                    .withName(finding.object()).endInvolvedObject()
                    .withReason(reason).withMessage(message).withType("Warning")
                    .withFirstTimestamp(clock.instant().toString()).withLastTimestamp(clock.instant().toString())
                    .withCount(1).withNewSource().withComponent("ordinal-controller").endSource().build()).create();
        } catch (KubernetesClientException e) {
            LOG.debugf("event %s not recorded: %s", reason, e.getMessage());
        }
    }

    private static Map<Mismatch, Integer> counts(Map<Mismatch, Integer> found) {
        Map<Mismatch, Integer> all = new EnumMap<>(Mismatch.class);
        for (Mismatch kind : Mismatch.values()) {
            all.put(kind, found.getOrDefault(kind, 0));
        }
        return all;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
