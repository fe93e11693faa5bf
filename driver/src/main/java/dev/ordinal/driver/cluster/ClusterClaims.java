package dev.ordinal.driver.cluster;

import dev.ordinal.contract.Api;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.volume.ClaimDirectory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The controller's reads of claims, StatefulSets and PersistentVolumes for CreateVolume, as the volume package's
 * records. Claims and StatefulSets are read fresh (GET) on each call: CreateVolume is rare, and the annotations the
 * companion controller just wrote must be seen. PersistentVolumes come from an informer indexed by identity, so the
 * Released-volume check costs no request and does not list every volume of the cluster per call.
 */
public final class ClusterClaims implements ClaimDirectory, AutoCloseable {

    /** Only this driver's volumes can hold an ordinal's data for it. */
    static final String DRIVER = Api.DRIVER_NAME;
    private static final String BY_IDENTITY = "ordinal.csi.dev/identity";

    private final KubernetesClient client;
    private SharedIndexInformer<PersistentVolume> volumes;

    public ClusterClaims(KubernetesClient client) {
        this.client = client;
    }

    /** Starts the PersistentVolume informer; returns once the volumes that exist are in its cache. */
    public ClusterClaims start() {
        volumes = client.persistentVolumes()
                .withIndexers(Map.of(BY_IDENTITY, volume -> identityOf(volume).map(ClusterClaims::key)
                        .map(List::of).orElse(List.of())))
                .inform();
        return this;
    }

    @Override
    public Optional<Claim> claim(String namespace, String name) {
        PersistentVolumeClaim claim = read("claim " + namespace + "/" + name, "get persistentvolumeclaims",
                () -> client.persistentVolumeClaims().inNamespace(namespace).withName(name).get());
        if (claim == null) {
            return Optional.empty();
        }
        Optional<String> owner = claim.getMetadata().getOwnerReferences().stream()
                .filter(ClusterClaims::isStatefulSet).map(OwnerReference::getName).findFirst();
        return Optional.of(new Claim(namespace, name, claim.getMetadata().getUid(), annotations(claim), owner));
    }

    @Override
    public Optional<StatefulSet> statefulSet(String namespace, String name) {
        io.fabric8.kubernetes.api.model.apps.StatefulSet set = read("StatefulSet " + namespace + "/" + name,
                "get statefulsets (apps)",
                () -> client.apps().statefulSets().inNamespace(namespace).withName(name).get());
        if (set == null) {
            return Optional.empty();
        }
        StatefulSetSpec spec = set.getSpec();
        Set<String> templates = spec == null || spec.getVolumeClaimTemplates() == null ? Set.of()
                : spec.getVolumeClaimTemplates().stream().map(t -> t.getMetadata().getName())
                        .collect(Collectors.toSet());
        int start = spec == null || spec.getOrdinals() == null || spec.getOrdinals().getStart() == null ? 0
                : spec.getOrdinals().getStart();
        return Optional.of(new StatefulSet(namespace, name, templates, annotations(set), start));
    }

    @Override
    public Map<String, String> claimPhases(String namespace) {
        List<PersistentVolumeClaim> claims = read("the claims of namespace " + namespace,
                "list persistentvolumeclaims",
                () -> client.persistentVolumeClaims().inNamespace(namespace).list().getItems());
        Map<String, String> phases = new HashMap<>();
        for (PersistentVolumeClaim claim : claims) {
            // A claim the API server has not given a status yet is Pending, as it reports it.
            String phase = claim.getStatus() == null || claim.getStatus().getPhase() == null ? "Pending"
                    : claim.getStatus().getPhase();
            phases.put(claim.getMetadata().getName(), phase);
        }
        return phases;
    }

    @Override
    public Optional<HeldVolume> heldVolume(VolumeIdentity identity, String claimUid) {
        return volumes.getIndexer().byIndex(BY_IDENTITY, key(identity)).stream()
                .filter(v -> "Retain".equals(v.getSpec().getPersistentVolumeReclaimPolicy()))
                .filter(v -> v.getMetadata().getDeletionTimestamp() == null)
                .filter(v -> "Released".equals(phase(v)) || boundToEarlierClaim(v, identity, claimUid)
                        || boundToThisClaim(v, claimUid))
                .sorted(Comparator.comparing(v -> v.getMetadata().getName()))
                .map(v -> new HeldVolume(v.getMetadata().getName(), phase(v), v.getSpec().getClaimRef() == null ? ""
                        : Optional.ofNullable(v.getSpec().getClaimRef().getUid()).orElse("")))
                .findFirst();
    }

    /** This driver's PersistentVolumes as the informer has them now (no request). */
    List<PersistentVolume> driverVolumes() {
        return volumes.getStore().list().stream()
                .filter(v -> v.getSpec() != null && v.getSpec().getCsi() != null
                        && DRIVER.equals(v.getSpec().getCsi().getDriver()))
                .toList();
    }

    /**
     * Bound (or Pending) to a claim of this ordinal's name with another uid: that claim was deleted, and this one
     * made again, before the PV controller marked the volume Released. A claim of another name is left alone: a
     * volume an administrator bound elsewhere is not this claim's to wait for.
     */
    private static boolean boundToEarlierClaim(PersistentVolume volume, VolumeIdentity identity, String claimUid) {
        ObjectReference ref = volume.getSpec().getClaimRef();
        String phase = phase(volume);
        return ref != null && ref.getUid() != null && !ref.getUid().isEmpty() && !ref.getUid().equals(claimUid)
                && identity.namespace().equals(ref.getNamespace()) && identity.claimName().equals(ref.getName())
                && ("Bound".equals(phase) || "Pending".equals(phase) || phase == null);
    }

    /**
     * The companion controller has already pointed this volume's claimRef at this very claim (a rebind), while
     * external-provisioner, which read the claim before that, still asks for a volume: a second, empty volume
     * would be left behind unbound. (Seen against the real csi-provisioner, e2e's RealKubernetesTest.)
     */
    private static boolean boundToThisClaim(PersistentVolume volume, String claimUid) {
        ObjectReference ref = volume.getSpec().getClaimRef();
        return ref != null && claimUid != null && !claimUid.isEmpty() && claimUid.equals(ref.getUid());
    }

    private static String phase(PersistentVolume volume) {
        return volume.getStatus() == null ? null : volume.getStatus().getPhase();
    }

    /** The identity a volume of this driver carries in its volumeAttributes. */
    private static Optional<VolumeIdentity> identityOf(PersistentVolume volume) {
        if (volume.getSpec() == null || volume.getSpec().getCsi() == null
                || !DRIVER.equals(volume.getSpec().getCsi().getDriver())) {
            return Optional.empty();
        }
        return VolumeIdentity.fromContext(volume.getSpec().getCsi().getVolumeAttributes());
    }

    private static String key(VolumeIdentity identity) {
        // Kubernetes names never contain '/', so the key is unambiguous.
        return identity.namespace() + "/" + identity.statefulSet() + "/" + identity.claimTemplate() + "/"
                + identity.ordinal();
    }

    private static boolean isStatefulSet(OwnerReference owner) {
        return "StatefulSet".equals(owner.getKind()) && owner.getApiVersion() != null
                && owner.getApiVersion().startsWith("apps/");
    }

    private static Map<String, String> annotations(HasMetadata object) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? Map.of() : annotations;
    }

    /**
     * One read; a refusal of the driver's service account is a lasting misconfiguration (FAILED_PRECONDITION naming
     * the permission), anything else may pass (ABORTED: external-provisioner retries).
     */
    private static <T> T read(String what, String permission, Supplier<T> call) {
        try {
            return call.get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 401 || e.getCode() == 403) {
                throw new DriverError.FailedPrecondition("cannot read " + what + ": the driver's controller may not "
                        + permission + " (" + e.getCode() + ")");
            }
            throw new DriverError.Aborted("cannot read " + what + " from the Kubernetes API, retry: "
                    + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (volumes != null) {
            volumes.close();
        }
    }
}
