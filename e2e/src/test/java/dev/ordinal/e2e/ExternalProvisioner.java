package dev.ordinal.e2e;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.VolumeCapability;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * external-provisioner (with --extra-create-metadata), as far as claims of one driver go:
 * <ul>
 * <li>every Pending claim of a StorageClass of this driver, without spec.volumeName, gets CreateVolume named
 *     {@code pvc-<claim uid>} with the class's parameters plus the claim's name and namespace and the PV's name; all
 *     claims at once (the real one has 100 workers), each retried with a growing backoff until it succeeds, the
 *     claim goes, or the claim gets a volume otherwise (spec.volumeName set: the companion controller rebound it);</li>
 * <li>on OK it creates the PersistentVolume: spec.csi (driver, volumeHandle, volumeAttributes = the volume_context
 *     and the provisioner identity), claimRef with the claim's uid, the class's reclaim policy, the capacity
 *     answered, nodeAffinity from accessible_topology;</li>
 * <li>a Released volume of this driver with reclaim policy Delete gets DeleteVolume, then the PV is deleted.</li>
 * </ul>
 * Every call is recorded in the {@link History} with its answer. The backoff starts at 50 ms and doubles to 800 ms
 * (the real defaults, 1 s to 5 min, would only make the test slower).
 */
final class ExternalProvisioner implements AutoCloseable {

    static final String PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
    static final String PROVISIONER_IDENTITY = "storage.kubernetes.io/csiProvisionerIdentity";
    private static final Logger LOG = Logger.getLogger(ExternalProvisioner.class);
    private static final long BACKOFF_START = 50;
    private static final long BACKOFF_MAX = 800;

    private final KubernetesClient client;
    private final String driver;
    private final Supplier<ControllerGrpc.ControllerBlockingStub> csi;
    private final History history;
    /** What the real one writes in every PV it makes: {@code <start time>-<random>-<driver>}. */
    private final String identity;
    private final ExecutorService workers = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "e2e-provisioner-worker");
        t.setDaemon(true);
        return t;
    });
    /** Claim uids and volume names with a worker on them: one at a time per object, as the real work queue. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final Loop loop;
    private volatile boolean closed;

    ExternalProvisioner(KubernetesClient client, String driver, Supplier<ControllerGrpc.ControllerBlockingStub> csi,
            History history) {
        this.client = client;
        this.driver = driver;
        this.csi = csi;
        this.history = history;
        this.identity = System.currentTimeMillis() + "-" + (int) (Math.random() * 10000) + "-" + driver;
        this.loop = new Loop("external-provisioner", 50, this::pass);
    }

    private void pass() {
        Map<String, StorageClass> classes = client.storage().v1().storageClasses().list().getItems().stream()
                .filter(c -> driver.equals(c.getProvisioner()))
                .collect(Collectors.toMap(c -> c.getMetadata().getName(), c -> c));
        for (PersistentVolumeClaim claim : client.persistentVolumeClaims().inAnyNamespace().list().getItems()) {
            StorageClass storageClass = classes.get(claim.getSpec().getStorageClassName());
            if (storageClass != null && needsVolume(claim) && busy.add(claim.getMetadata().getUid())) {
                workers.execute(() -> {
                    try {
                        provision(claim, storageClass);
                    } catch (RuntimeException e) {
                        LOG.debugf("provisioning %s failed, the next pass retries: %s", claim.getMetadata().getName(),
                                e.getMessage());
                    } finally {
                        busy.remove(claim.getMetadata().getUid());
                    }
                });
            }
        }
        for (PersistentVolume volume : client.persistentVolumes().list().getItems()) {
            if (driver.equals(annotation(volume, PROVISIONED_BY)) && "Released".equals(PersistentVolumeController.phase(volume))
                    && "Delete".equals(volume.getSpec().getPersistentVolumeReclaimPolicy())
                    && busy.add(volume.getMetadata().getName())) {
                workers.execute(() -> {
                    try {
                        delete(volume);
                    } catch (RuntimeException e) {
                        LOG.debugf("deleting %s failed, the next pass retries: %s", volume.getMetadata().getName(),
                                e.getMessage());
                    } finally {
                        busy.remove(volume.getMetadata().getName());
                    }
                });
            }
        }
    }

    private static boolean needsVolume(PersistentVolumeClaim claim) {
        return claim.getMetadata().getDeletionTimestamp() == null
                && (claim.getSpec().getVolumeName() == null || claim.getSpec().getVolumeName().isEmpty())
                && !"Bound".equals(PersistentVolumeController.phase(claim));
    }

    private void provision(PersistentVolumeClaim seen, StorageClass storageClass) {
        String namespace = seen.getMetadata().getNamespace();
        String name = seen.getMetadata().getName();
        String uid = seen.getMetadata().getUid();
        String pvName = "pvc-" + uid;
        long backoff = BACKOFF_START;
        while (!closed) {
            // What the real one checks before each attempt: the claim as it is now, and no PV made for it yet.
            PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(name).get();
            if (claim == null || !uid.equals(claim.getMetadata().getUid()) || !needsVolume(claim)
                    || client.persistentVolumes().withName(pvName).get() != null) {
                return;
            }
            CreateVolumeRequest request = createRequest(claim, storageClass, pvName);
            long sent = history.tick();
            Status.Code code;
            String message;
            dev.ordinal.csi.v1.Volume volume = null;
            try {
                volume = csi.get().createVolume(request).getVolume();
                code = Status.Code.OK;
                message = "";
            } catch (StatusRuntimeException e) {
                code = e.getStatus().getCode();
                message = Optional.ofNullable(e.getStatus().getDescription()).orElse("");
            }
            history.call(new History.Call(sent, history.tick(), "CreateVolume", namespace, name, uid,
                    volume == null ? null : volume.getVolumeId(), code, message));
            if (volume != null) {
                client.persistentVolumes().resource(persistentVolume(claim, storageClass, pvName, volume)).create();
                return;
            }
            LOG.debugf("CreateVolume %s/%s: %s %s", namespace, name, code, message);
            sleep(backoff);
            backoff = Math.min(BACKOFF_MAX, backoff * 2);
        }
    }

    private CreateVolumeRequest createRequest(PersistentVolumeClaim claim, StorageClass storageClass, String pvName) {
        Map<String, String> parameters = new HashMap<>(Optional.ofNullable(storageClass.getParameters()).orElse(Map.of()));
        // Keys of the csi.storage.k8s.io/ prefix are the provisioner's own (secrets, fstype): never sent on.
        String fsType = Optional.ofNullable(parameters.get("csi.storage.k8s.io/fstype")).orElse("");
        parameters.keySet().removeIf(k -> k.startsWith("csi.storage.k8s.io/"));
        parameters.put("csi.storage.k8s.io/pvc/name", claim.getMetadata().getName());
        parameters.put("csi.storage.k8s.io/pvc/namespace", claim.getMetadata().getNamespace());
        parameters.put("csi.storage.k8s.io/pv/name", pvName);
        CreateVolumeRequest.Builder request = CreateVolumeRequest.newBuilder().setName(pvName)
                .putAllParameters(parameters)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(requestedBytes(claim)));
        for (String mode : Optional.ofNullable(claim.getSpec().getAccessModes()).orElse(List.of())) {
            request.addVolumeCapabilities(VolumeCapability.newBuilder()
                    .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(accessMode(mode)))
                    .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType)
                            .addAllMountFlags(Optional.ofNullable(storageClass.getMountOptions()).orElse(List.of()))));
        }
        return request.build();
    }

    private static long requestedBytes(PersistentVolumeClaim claim) {
        Quantity storage = claim.getSpec().getResources().getRequests().get("storage");
        return Quantity.getAmountInBytes(storage).longValueExact();
    }

    private static VolumeCapability.AccessMode.Mode accessMode(String mode) {
        return switch (mode) {
            case "ReadWriteOnce" -> VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER;
            case "ReadWriteOncePod" -> VolumeCapability.AccessMode.Mode.SINGLE_NODE_SINGLE_WRITER;
            case "ReadOnlyMany" -> VolumeCapability.AccessMode.Mode.MULTI_NODE_READER_ONLY;
            case "ReadWriteMany" -> VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER;
            default -> throw new IllegalArgumentException("access mode " + mode);
        };
    }

    private PersistentVolume persistentVolume(PersistentVolumeClaim claim, StorageClass storageClass, String pvName,
            dev.ordinal.csi.v1.Volume volume) {
        Map<String, String> attributes = new HashMap<>(volume.getVolumeContextMap());
        attributes.put(PROVISIONER_IDENTITY, identity);
        List<NodeSelectorTerm> terms = new ArrayList<>();
        for (Topology topology : volume.getAccessibleTopologyList()) {
            NodeSelectorTermBuilder term = new NodeSelectorTermBuilder();
            topology.getSegmentsMap().forEach((key, value) -> term.addToMatchExpressions(
                    new NodeSelectorRequirementBuilder().withKey(key).withOperator("In").withValues(value).build()));
            terms.add(term.build());
        }
        PersistentVolumeBuilder pv = new PersistentVolumeBuilder()
                .withNewMetadata().withName(pvName).addToAnnotations(PROVISIONED_BY, driver).endMetadata()
                .withNewSpec()
                .withCapacity(Map.of("storage", new Quantity(Long.toString(volume.getCapacityBytes()))))
                .withAccessModes(claim.getSpec().getAccessModes())
                .withClaimRef(new ObjectReferenceBuilder().withApiVersion("v1").withKind("PersistentVolumeClaim")
                        .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                        .withUid(claim.getMetadata().getUid())
                        .withResourceVersion(claim.getMetadata().getResourceVersion()).build())
                .withPersistentVolumeReclaimPolicy(Optional.ofNullable(storageClass.getReclaimPolicy()).orElse("Delete"))
                .withStorageClassName(storageClass.getMetadata().getName())
                .withVolumeMode(Optional.ofNullable(claim.getSpec().getVolumeMode()).orElse("Filesystem"))
                .withMountOptions(storageClass.getMountOptions())
                .withNewCsi().withDriver(driver).withVolumeHandle(volume.getVolumeId())
                .withVolumeAttributes(attributes).endCsi()
                .endSpec();
        if (!terms.isEmpty()) {
            pv.editSpec().withNewNodeAffinity().withNewRequired().withNodeSelectorTerms(terms).endRequired()
                    .endNodeAffinity().endSpec();
        }
        return pv.build();
    }

    private void delete(PersistentVolume seen) {
        String name = seen.getMetadata().getName();
        long backoff = BACKOFF_START;
        while (!closed) {
            PersistentVolume volume = client.persistentVolumes().withName(name).get();
            if (volume == null || !"Released".equals(PersistentVolumeController.phase(volume))) {
                return;
            }
            String handle = volume.getSpec().getCsi().getVolumeHandle();
            var ref = volume.getSpec().getClaimRef();
            long sent = history.tick();
            Status.Code code = Status.Code.OK;
            String message = "";
            try {
                csi.get().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(handle).build());
            } catch (StatusRuntimeException e) {
                code = e.getStatus().getCode();
                message = Optional.ofNullable(e.getStatus().getDescription()).orElse("");
            }
            history.call(new History.Call(sent, history.tick(), "DeleteVolume", ref == null ? null : ref.getNamespace(),
                    ref == null ? null : ref.getName(), ref == null ? null : ref.getUid(), handle, code, message));
            if (code == Status.Code.OK) {
                client.persistentVolumes().withName(name).delete();
                return;
            }
            sleep(backoff);
            backoff = Math.min(BACKOFF_MAX, backoff * 2);
        }
    }

    private static String annotation(PersistentVolume volume, String key) {
        return volume.getMetadata().getAnnotations() == null ? null : volume.getMetadata().getAnnotations().get(key);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        loop.close();
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
