package dev.ordinal.e2e;

import dev.ordinal.allocator.model.Topology;
import dev.ordinal.csi.v1.NodeGetCapabilitiesRequest;
import dev.ordinal.csi.v1.NodeGetInfoRequest;
import dev.ordinal.csi.v1.NodeGetInfoResponse;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodeServiceCapability;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * kubelet, as far as volumes go: it registers its Node; and, driven by the test for one Pod volume backed by a claim
 * (nothing here schedules or runs containers), its volume manager finds the claim's PersistentVolume and the node in
 * its nodeAffinity, and on that node's driver calls NodeStageVolume (when the node advertises STAGE_UNSTAGE_VOLUME)
 * on kubelet's global mount path, then NodePublishVolume on the Pod's volume path; tearing down is
 * NodeUnpublishVolume then NodeUnstageVolume. Paths are kubelet's, under each node's own directory of the test.
 */
final class Kubelet {

    /** One published Pod volume: what the test reads and writes is {@code target}. */
    record Mounted(String node, String volumeId, String pvName, Path staging, Path target, boolean staged) {
    }

    private final KubernetesClient client;
    private final Map<String, CsiEndpoint> nodes;
    private final Path root;

    Kubelet(KubernetesClient client, Map<String, CsiEndpoint> nodes, Path root) {
        this.client = client;
        this.nodes = nodes;
        this.root = root;
    }

    /**
     * Registers the node as kubelet does (a Ready Node), labelled with the topology the node plugin reports in
     * NodeGetInfo, as node-driver-registrar labels it. The companion controller places volumes only on Ready Nodes.
     */
    void register(String node) {
        NodeGetInfoResponse info = nodes.get(node).node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
        Map<String, String> labels = new HashMap<>(info.getAccessibleTopology().getSegmentsMap());
        labels.put("kubernetes.io/hostname", node);
        labels.put("kubernetes.io/os", "linux");
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).withLabels(labels).endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
                .endCondition().endStatus().build()).create();
    }

    /** Stages and publishes the claim volume {@code volume} of the Pod, on the node its PV is bound to. */
    Mounted mount(String namespace, String podName, String volume) {
        Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
        String claimName = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(volume))
                .findFirst().orElseThrow().getPersistentVolumeClaim().getClaimName();
        PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
        if (!"Bound".equals(PersistentVolumeController.phase(claim))) {
            throw new IllegalStateException("claim " + claimName + " is not Bound: the Pod cannot start");
        }
        PersistentVolume pv = client.persistentVolumes().withName(claim.getSpec().getVolumeName()).get();
        String node = nodeOf(pv);
        CsiEndpoint driver = nodes.get(node);
        String handle = pv.getSpec().getCsi().getVolumeHandle();
        Map<String, String> context = Optional.ofNullable(pv.getSpec().getCsi().getVolumeAttributes()).orElse(Map.of());
        VolumeCapability capability = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
                .setMount(VolumeCapability.MountVolume.newBuilder()
                        .setFsType(Optional.ofNullable(pv.getSpec().getCsi().getFsType()).orElse(""))).build();
        Path kubelet = root.resolve(node).resolve("kubelet");
        Path staging = kubelet.resolve("plugins/kubernetes.io/csi/" + pv.getSpec().getCsi().getDriver() + "/"
                + sha256(handle) + "/globalmount");
        Path target = kubelet.resolve("pods/" + pod.getMetadata().getUid() + "/volumes/kubernetes.io~csi/"
                + pv.getMetadata().getName() + "/mount");
        boolean stages = driver.node().nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList().stream().anyMatch(c -> c.getRpc().getType()
                        == NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME);
        try {
            Files.createDirectories(target.getParent());
            if (stages) {
                Files.createDirectories(staging);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (stages) {
            driver.node().nodeStageVolume(NodeStageVolumeRequest.newBuilder().setVolumeId(handle)
                    .setStagingTargetPath(staging.toString()).setVolumeCapability(capability)
                    .putAllVolumeContext(context).build());
        }
        NodePublishVolumeRequest.Builder publish = NodePublishVolumeRequest.newBuilder().setVolumeId(handle)
                .setTargetPath(target.toString()).setVolumeCapability(capability).putAllVolumeContext(context);
        if (stages) {
            publish.setStagingTargetPath(staging.toString());
        }
        driver.node().nodePublishVolume(publish.build());
        return new Mounted(node, handle, pv.getMetadata().getName(), staging, target, stages);
    }

    /** What kubelet does when the Pod goes: unpublish, then unstage (the volume has no other Pod here). */
    void unmount(Mounted mounted) {
        CsiEndpoint driver = nodes.get(mounted.node());
        driver.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId(mounted.volumeId())
                .setTargetPath(mounted.target().toString()).build());
        if (mounted.staged()) {
            driver.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId(mounted.volumeId())
                    .setStagingTargetPath(mounted.staging().toString()).build());
        }
    }

    /** The node in the PV's nodeAffinity (the driver's topology key), where the scheduler puts the Pod. */
    static String nodeOf(PersistentVolume pv) {
        return pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().stream()
                .flatMap(t -> t.getMatchExpressions().stream())
                .filter(e -> Topology.NODE_KEY.equals(e.getKey()) && "In".equals(e.getOperator()))
                .map(NodeSelectorRequirement::getValues).map(v -> v.get(0)).findFirst()
                .orElseThrow(() -> new IllegalStateException("PV " + pv.getMetadata().getName() + " names no node"));
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
