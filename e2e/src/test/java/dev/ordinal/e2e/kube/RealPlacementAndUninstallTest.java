package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalSnapshot;
import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Placement for Immediate binding, node loss, snapshots of an unknown class, and uninstall, on a real Kubernetes of
 * its own ({@link RealCluster}): the companion controller places claims before any Pod exists, kube-scheduler then
 * follows the volumes' node affinity; a deleted Node's ordinal is made again on another node; bad snapshot input
 * reaches the user as Events; and the chart's objects deleted as `helm uninstall` deletes them leave the CRDs, the
 * OrdinalVolumes and the data. The last test removes the install, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealPlacementAndUninstallTest extends AgainstRealCluster {

    private static final Logger LOG = Logger.getLogger(RealPlacementAndUninstallTest.class);
    private static final String SNAPSHOTS = "snapshot.storage.k8s.io/v1";


    /**
     * An Immediate class with {@code spread: zone/soft} and {@code placement: companion}: the companion places each
     * ordinal's claim in a zone of its own before any Pod is scheduled (a ClaimPlaced Event), the driver makes the
     * volume there (it waits for the placement), and kube-scheduler puts each Pod on its volume's node. A second set, of the chart's Retain class
     * (WaitForFirstConsumer), has one Pod, which kube-scheduler places. Then that Pod's node, which holds one ordinal
     * of each set, is lost: its node plugin stops and its Node object is deleted. Both sets carry
     * {@code ordinal.csi.dev/node-loss-timeout}, so the companion releases their ordinals on that node (NodeLost on
     * the set, ClaimReleased on the claim) and the StatefulSet controller
     * makes the claims and Pods again on nodes that exist. The Delete class's old volume is deleted without its node
     * (PV and OrdinalVolume go); the Retain class's stays Released with its OrdinalVolume, and the new claim is
     * marked {@code ordinal.csi.dev/rebind: skipped} with a RebindSkipped Event, as controller/README.md says.
     */
    @Test
    @Order(1)
    void immediateBindingSpreadsOrdinalsOverZonesAndALostNodesOrdinalsAreMadeAgainElsewhere() {
        String ns = namespace("spread");
        api.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata()
                .withName("ordinal-spread").endMetadata().withProvisioner(OrdinalInstall.DRIVER)
                .withVolumeBindingMode("Immediate").withReclaimPolicy("Delete")
                // placement=companion: the driver waits for the companion's placement. Without it csi-provisioner's
                // first CreateVolume often comes before the placement, the driver places some claims itself while
                // the companion places others, and two ordinals can share a node (controller/README.md, placement).
                .withParameters(Map.of("layout", "dir", "spread", "zone/soft", "placement", "companion")).build())
                .create();
        api.resource(nodeLossStatefulSet(ns, "kv", 3, "ordinal-spread")).create();
        api.resource(nodeLossStatefulSet(ns, "rt", 1, "ordinal-retain")).create();

        await().atMost(WAIT).until(() -> runningPods(ns, "kv").size() == 3 && runningPods(ns, "rt").size() == 1);
        String lost = api.pods().inNamespace(ns).withName("rt-0").get().getSpec().getNodeName();
        Map<Integer, String> nodeOfOrdinal = new TreeMap<>();
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            PersistentVolumeClaim claim = claim(ns, "data-kv-" + ordinal);
            assertEquals("Bound", claim.getStatus().getPhase());
            String placement = claim.getMetadata().getAnnotations().get("ordinal.csi.dev/placement");
            assertNotNull(placement, "the companion placed the claim: " + claim.getMetadata().getAnnotations());
            assertNull(claim.getMetadata().getAnnotations().get("volume.kubernetes.io/selected-node"),
                    "Immediate binding: no Pod chose the node");
            String node = nodeAffinity(api.persistentVolumes().withName(claim.getSpec().getVolumeName()).get());
            assertEquals(node + "/d1", placement, "the volume is where the companion placed it");
            assertEquals(node, api.pods().inNamespace(ns).withName("kv-" + ordinal).get().getSpec().getNodeName(),
                    "kube-scheduler followed the volume's node affinity");
            assertTrue(events(ns, claim.getMetadata().getName()).stream()
                    .anyMatch(e -> "ClaimPlaced".equals(e.getReason())), messages(ns, claim.getMetadata().getName())
                    .toString());
            nodeOfOrdinal.put(ordinal, node);
        }
        for (OrdinalVolume volume : ordinalVolumes(ns)) {
            String set = volume.getSpec().claimName.split("-")[1];
            assertEquals(set.equals("kv") ? nodeOfOrdinal.get(volume.getSpec().ordinal) : lost, volume.getSpec().node,
                    "the OrdinalVolume of " + volume.getSpec().claimName + " is on its PV's node");
        }
        Set<String> zones = new HashSet<>();
        nodeOfOrdinal.values().forEach(node -> zones.add(api.nodes().withName(node).get().getMetadata().getLabels()
                .get("topology.kubernetes.io/zone")));
        LOG.infof("the companion placed %s (zones %s)", nodeOfOrdinal, zones);
        assertEquals(3, zones.size(), "one ordinal per zone: " + nodeOfOrdinal);

        // Node loss: the node's plugin goes with it, then its Node object.
        int lostOrdinal = nodeOfOrdinal.entrySet().stream().filter(e -> e.getValue().equals(lost)).findFirst()
                .orElseThrow().getKey();
        String lostClaim = "data-kv-" + lostOrdinal;
        PersistentVolumeClaim kvBefore = claim(ns, lostClaim);
        PersistentVolumeClaim rtBefore = claim(ns, "data-rt-0");
        String kvOldVolume = kvBefore.getSpec().getVolumeName();
        String rtOldVolume = rtBefore.getSpec().getVolumeName();
        stopProcess("driver-" + lost);
        api.nodes().withName(lost).delete();

        await().atMost(WAIT).until(() -> madeAgainAndBound(ns, kvBefore) && madeAgainAndBound(ns, rtBefore));
        await().atMost(WAIT).until(() -> runningPods(ns, "kv").size() == 3 && runningPods(ns, "rt").size() == 1);
        for (PersistentVolumeClaim before : List.of(kvBefore, rtBefore)) {
            String name = before.getMetadata().getName();
            PersistentVolumeClaim again = claim(ns, name);
            String node = nodeAffinity(api.persistentVolumes().withName(again.getSpec().getVolumeName()).get());
            assertNotEquals(lost, node, name + " is made again on a node that exists");
            String pod = name.substring("data-".length());
            assertEquals(node, api.pods().inNamespace(ns).withName(pod).get().getSpec().getNodeName(), pod);
            String set = pod.substring(0, pod.indexOf('-'));
            assertTrue(events(ns, set).stream().anyMatch(e -> "NodeLost".equals(e.getReason())
                    && e.getMessage().contains(lost)), "a NodeLost Event on " + set + ": " + messages(ns, set));
            assertTrue(events(ns, name).stream().anyMatch(e -> "ClaimReleased".equals(e.getReason())
                    && e.getMessage().contains(before.getSpec().getVolumeName())),
                    "a ClaimReleased Event: " + messages(ns, name));
        }
        nodeOfOrdinal.forEach((ordinal, node) -> assertTrue(ordinal == lostOrdinal || node.equals(api.pods()
                .inNamespace(ns).withName("kv-" + ordinal).get().getSpec().getNodeName()),
                "the other ordinals stay where they were"));

        // The Delete class's old volume is deleted; its node will never answer, so the driver lets it go without.
        await().atMost(WAIT).untilAsserted(() -> assertNull(api.persistentVolumes().withName(kvOldVolume).get(),
                "the lost node's PV is deleted: " + events("default", kvOldVolume).stream()
                        .map(e -> e.getReason() + ": " + e.getMessage()).toList()));
        await().atMost(WAIT).until(() -> ordinalVolumes(ns).stream().noneMatch(v -> lost.equals(v.getSpec().node)
                && v.getSpec().claimName.equals(lostClaim)));
        // The Retain class's stays Released, with its OrdinalVolume; the new claim asked for a new volume.
        assertEquals("Released", api.persistentVolumes().withName(rtOldVolume).get().getStatus().getPhase());
        assertEquals(1, ordinalVolumes(ns).stream().filter(v -> lost.equals(v.getSpec().node)).count(),
                "only the Retain volume is left on the lost node");
        assertEquals("skipped", claim(ns, "data-rt-0").getMetadata().getAnnotations().get("ordinal.csi.dev/rebind"));
        assertTrue(events(ns, "data-rt-0").stream().anyMatch(e -> "RebindSkipped".equals(e.getReason())
                && e.getMessage().contains(rtOldVolume)), "a RebindSkipped Event: " + messages(ns, "data-rt-0"));
        assertEquals(5, ordinalVolumes(ns).size(), "one volume per ordinal, and the Retained one");
    }

    /**
     * Snapshots of a class that does not exist, or of a class our driver cannot honour, reach the user as Events
     * and the snapshot's error, and leave nothing behind: the snapshot-controller names the missing
     * VolumeSnapshotClass; the driver names the parameter it does not know (through csi-snapshotter); a claim
     * restored from such a snapshot stays Pending with csi-provisioner's Event saying the snapshot is not bound (to
     * any content).
     */
    @Test
    @Order(2)
    void snapshotsOfAnUnknownClassShowAsEventsAndLeaveNothingBehind() {
        String ns = namespace("bad-snapshots");
        api.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("source").withNamespace(ns)
                .endMetadata().withNewSpec().withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build())
                .create();
        pod(ns, "source", "source", null);
        await().atMost(WAIT).until(() -> "Bound".equals(claim(ns, "source").getStatus().getPhase()));
        var classes = api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshotClass");
        classes.resource(new GenericKubernetesResourceBuilder().withApiVersion(SNAPSHOTS)
                .withKind("VolumeSnapshotClass").withNewMetadata().withName("ordinal-typo").endMetadata()
                .withAdditionalProperties(Map.of("driver", OrdinalInstall.DRIVER, "deletionPolicy", "Delete",
                        "parameters", Map.of("compresion", "zstd"))).build()).create();
        try {
            snapshot(ns, "nowhere", "no-such-class");
            snapshot(ns, "typo", "ordinal-typo");
            await().atMost(WAIT).untilAsserted(() -> assertTrue(events(ns, "nowhere").stream()
                    .anyMatch(e -> "Warning".equals(e.getType()) && e.getMessage().contains("no-such-class")),
                    "an Event naming the missing class: " + messages(ns, "nowhere")));
            // csi-snapshotter reports the driver's refusal on the snapshot's content (cluster-scoped: its Events
            // are in "default"), and the snapshot-controller copies it into the snapshot's status.error.
            await().atMost(WAIT).untilAsserted(() -> assertTrue(snapshotError(ns, "typo")
                    .contains("snapshot parameters are not supported (got [compresion])"),
                    "the snapshot's status.error has the driver's message: " + snapshotError(ns, "typo")));
            String content = snapshotContents(ns).getFirst();
            assertTrue(events("default", content).stream().anyMatch(e -> "SnapshotCreationFailed".equals(e.getReason())
                    && e.getMessage().contains("InvalidArgument")
                    && e.getMessage().contains("snapshot parameters are not supported (got [compresion])")),
                    "a SnapshotCreationFailed Event with the driver's message: " + messages("default", content));

            api.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("restored").withNamespace(ns)
                    .endMetadata().withNewSpec().withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce")
                    .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
                    .withNewDataSourceRef().withApiGroup("snapshot.storage.k8s.io").withKind("VolumeSnapshot")
                    .withName("nowhere").endDataSourceRef().endSpec().build()).create();
            pod(ns, "restored", "restored", api.pods().inNamespace(ns).withName("source").get().getSpec()
                    .getNodeName());
            await().atMost(WAIT).untilAsserted(() -> assertTrue(events(ns, "restored").stream()
                    .anyMatch(e -> "ProvisioningFailed".equals(e.getReason())
                            && e.getMessage().contains("snapshot nowhere not bound")),
                    "an Event on the claim naming the snapshot that has no content: " + messages(ns, "restored")));

            assertEquals("Pending", claim(ns, "restored").getStatus().getPhase());
            assertEquals(List.of("source"), ordinalVolumes(ns).stream().map(v -> v.getSpec().claimName).toList(),
                    "no volume but the source's");
            assertEquals(List.of(), api.resources(OrdinalSnapshot.class).list().getItems(), "no snapshot was made");
            // The failed snapshots, deleted, take their (empty) contents with them.
            api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshot").inNamespace(ns).withName("nowhere").delete();
            api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshot").inNamespace(ns).withName("typo").delete();
            await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(), snapshotContents(ns),
                    "no VolumeSnapshotContent of the namespace is left"));
        } finally {
            api.namespaces().withName(ns).delete();
            classes.withName("ordinal-typo").delete();
        }
    }

    /**
     * Uninstall as `helm uninstall` does it: every object `helm template` rendered is deleted except those marked
     * {@code helm.sh/resource-policy: keep} (the CRDs), and the Ordinal processes stop with their Pods. The CRDs,
     * the OrdinalVolumes and the data the test wrote as kubelet on the node's disk are all still there.
     */
    @Test
    @Order(3)
    void uninstallDeletesTheChartsObjectsAndKeepsTheCrdsTheOrdinalVolumesAndTheDataAsKubeletWroteIt()
            throws IOException {
        String ns = namespace("uninstall");
        api.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("keep").withNamespace(ns)
                .endMetadata().withNewSpec().withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build())
                .create();
        pod(ns, "keep", "keep", null);
        await().atMost(WAIT).until(() -> podRunning(ns, "keep"));
        kubelet.writeFile(ns, "keep", "data", "payload", "outlives the driver\n");
        OrdinalVolume volume = ordinalVolumes(ns).getFirst();
        Path data = Path.of(volume.getStatus().path);
        int volumesBefore = api.resources(OrdinalVolume.class).list().getItems().size();

        List<HasMetadata> rendered = api.load(new ByteArrayInputStream(cluster.ordinal().rendered()
                .getBytes(StandardCharsets.UTF_8))).items();
        List<HasMetadata> kept = rendered.stream().filter(RealPlacementAndUninstallTest::keptByHelm).toList();
        List<HasMetadata> deleted = new ArrayList<>(rendered.stream().filter(o -> !keptByHelm(o)).toList());
        assertEquals(Set.of("CustomResourceDefinition"), kinds(kept), "helm keeps the CRDs, nothing else");
        assertTrue(kinds(deleted).containsAll(Set.of("Deployment", "DaemonSet", "CSIDriver", "StorageClass",
                "ClusterRole", "ServiceAccount")), kinds(deleted).toString());
        // helm deletes in the reverse of its install order: workloads first, RBAC and accounts last.
        Collections.reverse(deleted);
        for (HasMetadata object : deleted) {
            live(object).delete();
        }
        // The garbage collector deletes the workloads' Pods; kubelet stops the containers of a Pod being deleted, so
        // the processes that stand for them stop here.
        await().atMost(WAIT).until(() -> api.pods().inNamespace(OrdinalInstall.NAMESPACE).list().getItems().stream()
                .allMatch(p -> p.getMetadata().getDeletionTimestamp() != null));
        for (ChildProcess process : List.copyOf(cluster.controlPlane().processes())) {
            if (process.name().startsWith("driver-") || process.name().startsWith("csi-")
                    || process.name().equals("ordinal-controller")) {
                process.close();
            }
        }

        for (HasMetadata object : deleted) {
            await().atMost(WAIT).untilAsserted(() -> assertNull(live(object).get(),
                    object.getKind() + " " + object.getMetadata().getName() + " is deleted"));
        }
        for (HasMetadata crd : kept) {
            assertNotNull(api.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    .get(), crd.getMetadata().getName() + " is kept");
        }
        assertEquals(volumesBefore, api.resources(OrdinalVolume.class).list().getItems().size(),
                "every OrdinalVolume is kept");
        OrdinalVolume after = api.resources(OrdinalVolume.class).withName(volume.getMetadata().getName()).get();
        assertNotNull(after);
        assertNull(after.getMetadata().getDeletionTimestamp());
        // A dir-layout volume's files are in data/ under its directory on the disk.
        assertEquals("outlives the driver\n", Files.readString(data.resolve("data/payload")), "the data is on " + data);
        assertEquals("Bound", claim(ns, "keep").getStatus().getPhase(), "the user's claim is untouched");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static boolean keptByHelm(HasMetadata object) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations != null && "keep".equals(annotations.get("helm.sh/resource-policy"));
    }

    private static Set<String> kinds(List<HasMetadata> objects) {
        Set<String> kinds = new LinkedHashSet<>();
        objects.forEach(o -> kinds.add(o.getKind()));
        return kinds;
    }

    /** The live object of a rendered one: namespaced ones without a namespace are in the release's (`-n`). */
    private Resource<HasMetadata> live(HasMetadata object) {
        boolean namespaced = api.getApiResources(object.getApiVersion()).getResources().stream()
                .filter(r -> r.getKind().equals(object.getKind())).findFirst().orElseThrow().getNamespaced();
        return namespaced ? api.resource(object).inNamespace(Optional.ofNullable(object.getMetadata().getNamespace())
                .orElse(OrdinalInstall.NAMESPACE)) : api.resource(object);
    }

    /** A StatefulSet opted in to node loss, its ordinals released 5 s after their node is gone. */
    private static StatefulSet nodeLossStatefulSet(String ns, String name, int replicas, String storageClass) {
        return new StatefulSetBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .addToAnnotations("ordinal.csi.dev/node-loss-timeout", "5s").endMetadata()
                .withNewSpec().withServiceName(name).withReplicas(replicas).withPodManagementPolicy("Parallel")
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata().withNewSpec()
                .addNewContainer().withName(name).withImage("etcd").addNewVolumeMount().withName("data")
                .withMountPath("/data").endVolumeMount().endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata().withNewSpec()
                .withStorageClassName(storageClass).withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().endVolumeClaimTemplate()
                .endSpec().build();
    }

    /** The claim exists again (another uid than {@code before}) and is Bound. */
    private boolean madeAgainAndBound(String ns, PersistentVolumeClaim before) {
        PersistentVolumeClaim again = claim(ns, before.getMetadata().getName());
        return again != null && !again.getMetadata().getUid().equals(before.getMetadata().getUid())
                && "Bound".equals(again.getStatus().getPhase());
    }

    private void stopProcess(String name) {
        cluster.controlPlane().processes().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no process " + name)).close();
    }

    private void snapshot(String ns, String name, String snapshotClass) {
        api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshot").inNamespace(ns).resource(
                new GenericKubernetesResourceBuilder().withApiVersion(SNAPSHOTS).withKind("VolumeSnapshot")
                        .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                        .withAdditionalProperties(Map.of("spec", Map.of("volumeSnapshotClassName", snapshotClass,
                                "source", Map.of("persistentVolumeClaimName", "source")))).build()).create();
    }

    private String snapshotError(String ns, String name) {
        GenericKubernetesResource snapshot = api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshot")
                .inNamespace(ns).withName(name).get();
        return String.valueOf(snapshot.getAdditionalProperties().get("status"));
    }

    /** The names of the VolumeSnapshotContents made for snapshots of {@code ns}. */
    private List<String> snapshotContents(String ns) {
        return api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshotContent").list().getItems().stream()
                .filter(c -> c.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
                        && spec.get("volumeSnapshotRef") instanceof Map<?, ?> ref && ns.equals(ref.get("namespace")))
                .map(c -> c.getMetadata().getName()).toList();
    }

    private void pod(String ns, String name, String claim, String node) {
        api.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata().withNewSpec()
                .withNodeSelector(node == null ? Map.of() : Map.of("kubernetes.io/hostname", node))
                .addNewContainer().withName("app").withImage("busybox")
                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount().endContainer()
                .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName(claim)
                .endPersistentVolumeClaim().endVolume().endSpec().build()).create();
    }
}
