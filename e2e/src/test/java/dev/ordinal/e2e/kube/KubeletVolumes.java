package dev.ordinal.e2e.kube;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeGetCapabilitiesRequest;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodeServiceCapability;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;

/**
 * The test playing kubelet's volume manager for a Pod that kube-scheduler bound to a fake node and kwok reports
 * Running (kwok runs no containers and mounts nothing): on that node's plugin socket, NodeStageVolume on kubelet's
 * global mount path, then NodePublishVolume on the Pod's volume path, both under the node's root directory; tearing
 * down is NodeUnpublishVolume then NodeUnstageVolume. It also plays kubelet's part of a volume expansion
 * ({@link #expandIfPending}): an emulator of that part of kubelet, as no kubelet runs here.
 */
final class KubeletVolumes {

    /** One published Pod volume: what the test reads and writes is {@code target}. */
    record Mounted(String node, String volumeId, Path staging, Path target, boolean staged) {
    }

    private final RealCluster cluster;

    KubeletVolumes(RealCluster cluster) {
        this.cluster = cluster;
    }

    Mounted mount(String namespace, String podName, String volume) {
        KubernetesClient api = cluster.admin();
        Pod pod = api.pods().inNamespace(namespace).withName(podName).get();
        if (pod == null || !"Running".equals(pod.getStatus().getPhase())) {
            throw new IllegalStateException("Pod " + namespace + "/" + podName + " is not Running");
        }
        String node = pod.getSpec().getNodeName();
        String claimName = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst()
                .orElseThrow().getPersistentVolumeClaim().getClaimName();
        PersistentVolumeClaim claim = api.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
        PersistentVolume pv = api.persistentVolumes().withName(claim.getSpec().getVolumeName()).get();
        var csi = pv.getSpec().getCsi();
        Map<String, String> context = Optional.ofNullable(csi.getVolumeAttributes()).orElse(Map.of());
        VolumeCapability capability = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
                .setMount(VolumeCapability.MountVolume.newBuilder()
                        .setFsType(Optional.ofNullable(csi.getFsType()).orElse(""))).build();
        OrdinalInstall.NodePlugin plugin = cluster.ordinal().nodes().get(node);
        Path kubeletDir = plugin.hostPath("/var/lib/kubelet");
        Path staging = kubeletDir.resolve("plugins/kubernetes.io/csi/" + csi.getDriver() + "/"
                + sha256(csi.getVolumeHandle()) + "/globalmount");
        Path target = kubeletDir.resolve("pods/" + pod.getMetadata().getUid() + "/volumes/kubernetes.io~csi/"
                + pv.getMetadata().getName() + "/mount");
        NodeSocket socket = cluster.nodeSocket(node);
        boolean stages = socket.node().nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList().stream()
                .anyMatch(c -> c.getRpc().getType() == NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME);
        try {
            Files.createDirectories(target.getParent());
            if (stages) {
                Files.createDirectories(staging);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (stages) {
            socket.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder().setVolumeId(csi.getVolumeHandle())
                    .setStagingTargetPath(staging.toString()).setVolumeCapability(capability)
                    .putAllVolumeContext(context).build());
        }
        NodePublishVolumeRequest.Builder publish = NodePublishVolumeRequest.newBuilder()
                .setVolumeId(csi.getVolumeHandle()).setTargetPath(target.toString()).setVolumeCapability(capability)
                .putAllVolumeContext(context)
                // podInfoOnMount: true in the chart's CSIDriver.
                .putVolumeContext("csi.storage.k8s.io/pod.name", podName)
                .putVolumeContext("csi.storage.k8s.io/pod.namespace", namespace)
                .putVolumeContext("csi.storage.k8s.io/pod.uid", pod.getMetadata().getUid())
                .putVolumeContext("csi.storage.k8s.io/serviceAccount.name",
                        Optional.ofNullable(pod.getSpec().getServiceAccountName()).orElse("default"));
        if (stages) {
            publish.setStagingTargetPath(staging.toString());
        }
        socket.node().nodePublishVolume(publish.build());
        return new Mounted(node, csi.getVolumeHandle(), staging, target, stages);
    }

    /** A node expansion done: the filesystem's size as the mounted volume showed it afterwards. */
    record Expanded(String claim, long filesystemBytes) {
    }

    /**
     * kubelet's part of an expansion, emulated: when csi-resizer grew the volume of the Pod's claim and left the
     * node's part pending ({@code FileSystemResizePending}, {@code allocatedResourceStatuses: NodeResizePending}),
     * NodeExpandVolume on the volume published as for the Pod (kubelet expands a volume in use online, or after
     * the stage of a volume not in use), then the claim's status as kubelet leaves it: capacity the volume's new
     * size, the resize condition and allocated-resource status gone. Empty when nothing was pending.
     */
    Optional<Expanded> expandIfPending(String namespace, String podName, String volume) throws IOException {
        KubernetesClient api = cluster.admin();
        Pod pod = api.pods().inNamespace(namespace).withName(podName).get();
        if (pod == null) {
            return Optional.empty();
        }
        String claimName = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst()
                .orElseThrow().getPersistentVolumeClaim().getClaimName();
        PersistentVolumeClaim claim = api.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
        if (claim == null || claim.getStatus() == null || !nodeResizePending(claim)) {
            return Optional.empty();
        }
        PersistentVolume pv = api.persistentVolumes().withName(claim.getSpec().getVolumeName()).get();
        Quantity size = pv.getSpec().getCapacity().get("storage");
        Mounted mounted = mount(namespace, podName, volume);
        long filesystem;
        try {
            NodeExpandVolumeRequest.Builder expand = NodeExpandVolumeRequest.newBuilder()
                    .setVolumeId(mounted.volumeId()).setVolumePath(mounted.target().toString())
                    .setCapacityRange(CapacityRange.newBuilder()
                            .setRequiredBytes(Quantity.getAmountInBytes(size).longValueExact()));
            if (mounted.staged()) {
                expand.setStagingTargetPath(mounted.staging().toString());
            }
            cluster.nodeSocket(mounted.node()).node().nodeExpandVolume(expand.build());
            filesystem = Files.getFileStore(mounted.target()).getTotalSpace();
        } finally {
            unmount(mounted);
        }
        api.persistentVolumeClaims().inNamespace(namespace).withName(claimName).editStatus(c -> {
            c.getStatus().getCapacity().put("storage", size);
            List<PersistentVolumeClaimCondition> kept = Optional.ofNullable(c.getStatus().getConditions())
                    .orElse(List.of()).stream().filter(condition -> !RESIZE_CONDITIONS.contains(condition.getType()))
                    .toList();
            c.getStatus().setConditions(kept);
            if (c.getStatus().getAllocatedResourceStatuses() != null) {
                c.getStatus().getAllocatedResourceStatuses().remove("storage");
            }
            return c;
        });
        return Optional.of(new Expanded(claimName, filesystem));
    }

    /**
     * The conditions kubelet clears when the node's part is done: every resize condition (csi-resizer leaves its
     * {@code Resizing} beside {@code FileSystemResizePending}: seen), as Kubernetes' MergeResizeConditionOnPVC does.
     */
    private static final Set<String> RESIZE_CONDITIONS = Set.of("Resizing", "FileSystemResizePending",
            "ControllerResizeError", "NodeResizeError");

    static boolean nodeResizePending(PersistentVolumeClaim claim) {
        boolean condition = Optional.ofNullable(claim.getStatus().getConditions()).orElse(List.of()).stream()
                .anyMatch(c -> "FileSystemResizePending".equals(c.getType()) && "True".equals(c.getStatus()));
        String allocated = Optional.ofNullable(claim.getStatus().getAllocatedResourceStatuses())
                .map(s -> s.get("storage")).orElse("");
        return condition || "NodeResizePending".equals(allocated);
    }

    /** Writes {@code text} to {@code file} in the Pod's volume, as its container would: mounted, written, unmounted. */
    void writeFile(String namespace, String podName, String volume, String file, String text) throws IOException {
        Mounted mounted = mount(namespace, podName, volume);
        try {
            Files.writeString(mounted.target().resolve(file), text);
        } finally {
            unmount(mounted);
        }
    }

    /** What {@code file} in the Pod's volume holds, read as its container would: mounted, read, unmounted. */
    String readFile(String namespace, String podName, String volume, String file) throws IOException {
        Mounted mounted = mount(namespace, podName, volume);
        try {
            return Files.readString(mounted.target().resolve(file));
        } finally {
            unmount(mounted);
        }
    }

    void unmount(Mounted mounted) {
        NodeSocket socket = cluster.nodeSocket(mounted.node());
        socket.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(mounted.volumeId())
                .setTargetPath(mounted.target().toString()).build());
        if (mounted.staged()) {
            socket.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(mounted.volumeId())
                    .setStagingTargetPath(mounted.staging().toString()).build());
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
