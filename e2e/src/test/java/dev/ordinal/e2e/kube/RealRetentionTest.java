package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.Annotations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpecBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Claim retention under the real kube-controller-manager (its StatefulSet controller and garbage collector), the
 * real snapshot-controller and csi-snapshotter, with the companion controller as the chart runs it
 * ({@link RealCluster}). What these show, and the emulators could not: the API server fills in
 * {@code spec.persistentVolumeClaimRetentionPolicy} as Retain/Retain when a StatefulSet leaves it out (so the
 * companion's policy annotations were never read: no grace, no claim ever deleted); with whenScaled=Delete in the
 * spec the StatefulSet controller hands a scaled-down claim to the garbage collector itself, and the collector can
 * ask for its deletion before a snapshot of it is ready (seen). Under a spec saying Retain the StatefulSet
 * controller also removes Pod and StatefulSet references from the claims (read in its code, not provoked here).
 * Data is written and read back by the test acting as kubelet on the node plugin's socket ("AsKubelet" in the
 * names). Each test has a namespace of its own; the cluster is shared.
 */
class RealRetentionTest extends AgainstRealCluster {

    private static final Logger LOG = Logger.getLogger(RealRetentionTest.class);
    private static final String SNAPSHOTS = "snapshot.storage.k8s.io/v1";
    private static final String GRACE = Annotations.SCALE_DOWN_GRACE;
    private static final String WHEN_SCALED = Annotations.WHEN_SCALED;
    private static final String SNAPSHOT_BEFORE_DELETE = Annotations.SNAPSHOT_BEFORE_DELETE;
    private static final String SCALED_DOWN_SINCE = Annotations.SCALED_DOWN_SINCE;


    /**
     * whenDeleted=Retain: deleting the StatefulSet (kubectl's default, background cascade) lets the garbage
     * collector delete its Pods and nothing else; the claims stay Bound with their data. A StatefulSet made again
     * under the same name gets the same claims and volumes: nothing new is provisioned, and the files the test wrote
     * as kubelet are there.
     */
    @Test
    void aDeletedStatefulSetUnderWhenDeletedRetainLeavesItsClaimsAndARecreatedOneFindsTheirDataAsKubelet()
            throws IOException {
        String ns = namespace("recreate");
        StatefulSet set = statefulSet(ns, "kept", 2, Map.of(), "Retain", "Delete");
        api.resource(set).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "kept").size() == 2);
        Map<String, String> uidOfClaim = claimUids(ns, "kept");
        Map<String, String> volumeOfClaim = volumeNames(ns, "kept");
        for (int ordinal = 0; ordinal < 2; ordinal++) {
            kubelet.writeFile(ns, "kept-" + ordinal, "data", "payload", "ordinal " + ordinal + "\n");
        }

        api.apps().statefulSets().inNamespace(ns).withName("kept").delete();
        await().atMost(WAIT).until(() -> api.apps().statefulSets().inNamespace(ns).withName("kept").get() == null
                && api.pods().inNamespace(ns).list().getItems().isEmpty());
        assertEquals(uidOfClaim, claimUids(ns, "kept"), "the claims outlive their StatefulSet");
        for (String claim : uidOfClaim.keySet()) {
            assertEquals("Bound", claim(ns, claim).getStatus().getPhase(), claim);
            assertNull(claim(ns, claim).getMetadata().getDeletionTimestamp(), claim);
        }

        api.resource(statefulSet(ns, "kept", 2, Map.of(), "Retain", "Delete")).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "kept").size() == 2);
        assertEquals(uidOfClaim, claimUids(ns, "kept"), "the new StatefulSet uses the same claims");
        assertEquals(volumeOfClaim, volumeNames(ns, "kept"), "bound to the same volumes");
        assertEquals(2, ordinalVolumes(ns).size(), "nothing new was provisioned");
        for (int ordinal = 0; ordinal < 2; ordinal++) {
            assertEquals("ordinal " + ordinal + "\n", kubelet.readFile(ns, "kept-" + ordinal, "data", "payload"));
        }
    }

    /**
     * The scale-down grace where the built-in controller leaves scaled-down claims alone: the StatefulSet gives no
     * retention policy in its spec (the API server fills in Retain/Retain) and asks for whenScaled=Delete by
     * annotation, with a grace period. A scaled-down claim is kept, with no owner reference, while its Pod goes;
     * scaling back up within the grace cancels it and the Pod finds its data (as kubelet). Once the grace is over
     * and the Pod gone, the companion controller deletes the claim, and the volume goes with it.
     */
    @Test
    void theScaleDownGraceHoldsAClaimScaledDownByAnnotationAndAScaleUpInTimeKeepsItsDataAsKubelet()
            throws IOException {
        String ns = namespace("grace");
        api.resource(statefulSet(ns, "slow", 2, Map.of(WHEN_SCALED, "Delete", GRACE, "10m"), null, null)).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "slow").size() == 2);
        var policy = api.apps().statefulSets().inNamespace(ns).withName("slow").get().getSpec()
                .getPersistentVolumeClaimRetentionPolicy();
        assertEquals(List.of("Retain", "Retain"), List.of(policy.getWhenDeleted(), policy.getWhenScaled()),
                "the API server fills in the policy the StatefulSet left out");
        String uid = claim(ns, "data-slow-1").getMetadata().getUid();
        kubelet.writeFile(ns, "slow-1", "data", "payload", "kept through the grace\n");

        api.apps().statefulSets().inNamespace(ns).withName("slow").scale(1);
        await().atMost(WAIT).until(() -> api.pods().inNamespace(ns).withName("slow-1").get() == null
                && annotation(claim(ns, "data-slow-1"), SCALED_DOWN_SINCE) != null);
        awaitEvent(ns, "data-slow-1", "ScaleDownGraceStarted");
        // Without the grace, the claim would go as soon as its Pod is gone; it stays.
        await().during(Duration.ofSeconds(3)).atMost(WAIT).until(() -> claim(ns, "data-slow-1") != null);
        PersistentVolumeClaim held = claim(ns, "data-slow-1");
        assertEquals(uid, held.getMetadata().getUid());
        assertEquals(List.of(), held.getMetadata().getOwnerReferences(), "nothing hands it to the garbage collector");

        api.apps().statefulSets().inNamespace(ns).withName("slow").scale(2);
        await().atMost(WAIT).until(() -> runningPods(ns, "slow").size() == 2
                && annotation(claim(ns, "data-slow-1"), SCALED_DOWN_SINCE) == null);
        awaitEvent(ns, "data-slow-1", "ScaleDownCancelled");
        assertEquals(uid, claim(ns, "data-slow-1").getMetadata().getUid(), "the same claim");
        assertEquals("kept through the grace\n", kubelet.readFile(ns, "slow-1", "data", "payload"));

        // A short grace now: the claim goes once it is over and the Pod is gone, and its volume with it.
        Path data = volumePath(ns, "data-slow-1");
        api.apps().statefulSets().inNamespace(ns).withName("slow").edit(s -> {
            s.getMetadata().getAnnotations().put(GRACE, "2s");
            s.getSpec().setReplicas(1);
            return s;
        });
        await().atMost(WAIT).until(() -> claim(ns, "data-slow-1") == null);
        await().atMost(WAIT).until(() -> ordinalVolumes(ns).size() == 1 && !Files.exists(data));
        awaitEvent(ns, "data-slow-1", "ClaimDeleted");
        assertEquals("Bound", claim(ns, "data-slow-0").getStatus().getPhase(), "ordinal 0 keeps its claim");
    }

    /**
     * With whenScaled=Delete in the spec, kube-controller-manager's StatefulSet controller makes the scaled-down
     * claim's Pod its owner and the garbage collector deletes the claim with the Pod: the grace annotation does not
     * hold it back (README and controller/README.md say so), and the companion controller does not pretend it does
     * (no grace started on the claim).
     */
    @Test
    void withWhenScaledDeleteInTheSpecTheBuiltInControllerWinsOverTheGrace() {
        String ns = namespace("built-in");
        api.resource(statefulSet(ns, "fast", 2, Map.of(GRACE, "10m"), "Retain", "Delete")).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "fast").size() == 2);
        AtomicReference<String> podOwner = new AtomicReference<>();
        AtomicReference<String> graceSince = new AtomicReference<>();
        try (Watch ignored = api.persistentVolumeClaims().inNamespace(ns).withName("data-fast-1").watch(
                new ClaimWatcher((action, claim) -> {
                    claim.getMetadata().getOwnerReferences().stream()
                            .filter(ref -> "Pod".equals(ref.getKind()) && Boolean.TRUE.equals(ref.getController()))
                            .forEach(ref -> podOwner.set(ref.getName()));
                    if (annotation(claim, SCALED_DOWN_SINCE) != null) {
                        graceSince.set(annotation(claim, SCALED_DOWN_SINCE));
                    }
                }))) {
            api.apps().statefulSets().inNamespace(ns).withName("fast").scale(1);
            await().atMost(WAIT).until(() -> claim(ns, "data-fast-1") == null);
        }
        assertEquals("fast-1", podOwner.get(), "the claim was handed to the garbage collector through its Pod");
        assertNull(graceSince.get(), "no grace period was started on the claim");
        assertFalse(hasEvent(ns, "data-fast-1", "ScaleDownGraceStarted"), messages(ns, "data-fast-1").toString());
        await().atMost(WAIT).until(() -> ordinalVolumes(ns).size() == 1);
    }

    /**
     * Snapshot-before-delete through the real snapshot-controller and csi-snapshotter: a scaled-down claim (policy
     * by annotation, so that the claim waits for its Pod to be gone) gets a VolumeSnapshot that is ready to use
     * before the claim is deleted; the snapshot outlives claim and volume, and a claim restored from it holds the
     * file the test wrote as kubelet.
     */
    @Test
    void aScaledDownClaimIsSnapshottedBeforeItIsDeletedAndTheSnapshotRestoresItsDataAsKubelet() throws IOException {
        String ns = namespace("snapshot");
        api.resource(statefulSet(ns, "snap", 2, Map.of(WHEN_SCALED, "Delete", SNAPSHOT_BEFORE_DELETE, "ordinal"),
                null, null)).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "snap").size() == 2);
        kubelet.writeFile(ns, "snap-1", "data", "payload", "written before the scale-down\n");
        String node = api.pods().inNamespace(ns).withName("snap-1").get().getSpec().getNodeName();

        GenericKubernetesResource snapshot = scaleDownAndAwaitSnapshotBeforeDeletion(ns, "snap", true)
                .orElseThrow(() -> new AssertionError("by annotation the companion deletes the claim itself, after "
                        + "its snapshot: no race to lose; " + messages(ns, "data-snap-1")));
        assertEquals("SNAPSHOT_BEFORE_DELETE", snapshot.getMetadata().getAnnotations()
                .get("ordinal.csi.dev/snapshot-reason"), "taken once the Pod was gone, by the companion's deletion");
        assertRestores(ns, snapshot.getMetadata().getName(), node, "written before the scale-down\n");
    }

    /**
     * Snapshot-before-delete with whenScaled=Delete in the spec: kube-controller-manager hands the scaled-down claim
     * to the garbage collector (its Pod reference) and the collector deletes it as soon as the Pod is gone, often
     * before the snapshot is ready (seen); the companion asked for the snapshot at scale-down, so the snapshot
     * controller had started it, and the companion's finalizer holds the claim until it is ready. It restores the
     * data.
     */
    @Test
    void withWhenScaledDeleteInTheSpecTheSnapshotIsReadyBeforeTheCollectorDeletesTheClaim() throws IOException {
        String ns = namespace("spec-snapshot");
        api.resource(statefulSet(ns, "gc", 2, Map.of(SNAPSHOT_BEFORE_DELETE, "ordinal"), "Retain", "Delete")).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "gc").size() == 2);
        kubelet.writeFile(ns, "gc-1", "data", "payload", "written before the collector's turn\n");
        String node = api.pods().inNamespace(ns).withName("gc-1").get().getSpec().getNodeName();
        Optional<GenericKubernetesResource> taken = scaleDownAndAwaitSnapshotBeforeDeletion(ns, "gc", false);
        if (taken.isEmpty()) {
            // The collector deleted the claim before the snapshot-controller started the snapshot (kwok removes a
            // Pod the instant it is deleted, where kubelet takes at least its containers' stop): what the companion
            // promises then is that nothing is lost. The claim stays, held by its finalizer, with its volume.
            PersistentVolumeClaim kept = api.persistentVolumeClaims().inNamespace(ns).withName("data-gc-1").get();
            assertNotNull(kept, "the claim is kept when its snapshot cannot be taken");
            assertTrue(kept.getMetadata().getFinalizers().contains(SNAPSHOT_BEFORE_DELETE), claimState(ns, "data-gc-1"));
            assertNotNull(api.persistentVolumes().withName(kept.getSpec().getVolumeName()).get(),
                    "its volume, and so its data, is kept");
            return;
        }
        GenericKubernetesResource snapshot = taken.get();
        assertEquals("SNAPSHOT_BEFORE_GC", snapshot.getMetadata().getAnnotations()
                .get("ordinal.csi.dev/snapshot-reason"), "taken at scale-down, ahead of the collector");
        assertRestores(ns, snapshot.getMetadata().getName(), node, "written before the collector's turn\n");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** A watcher of one claim that hands every version it sees (deletion included) to {@code seen}. */
    private record ClaimWatcher(BiConsumer<Watcher.Action, PersistentVolumeClaim> seen)
            implements Watcher<PersistentVolumeClaim> {
        @Override
        public void eventReceived(Action action, PersistentVolumeClaim claim) {
            seen.accept(action, claim);
        }

        @Override
        public void onClose(WatcherException cause) {
        }
    }

    /**
     * Scales the set from 2 to 1 and waits for ordinal 1's claim to be deleted; asserts that a VolumeSnapshot of it
     * (the companion's labels) was ready to use before the claim went (its finalizer holds it until then) and, with
     * {@code deletionAskedAfterReady}, before anyone even asked for its deletion; returns the snapshot.
     */
    private Optional<GenericKubernetesResource> scaleDownAndAwaitSnapshotBeforeDeletion(String ns, String set,
            boolean deletionAskedAfterReady) {
        String claimName = "data-" + set + "-1";
        AtomicReference<Instant> claimDeleting = new AtomicReference<>();
        AtomicReference<Instant> claimGone = new AtomicReference<>();
        AtomicReference<Instant> snapshotReady = new AtomicReference<>();
        AtomicReference<String> snapshotName = new AtomicReference<>();
        try (Watch claims = api.persistentVolumeClaims().inNamespace(ns).withName(claimName).watch(
                new ClaimWatcher((action, claim) -> {
                    if (claim.getMetadata().getDeletionTimestamp() != null) {
                        claimDeleting.compareAndSet(null, Instant.now());
                    }
                    if (action == Watcher.Action.DELETED) {
                        claimGone.compareAndSet(null, Instant.now());
                    }
                }));
             Watch snapshots = api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshot").inNamespace(ns)
                     .watch(new Watcher<>() {
                         @Override
                         public void eventReceived(Action action, GenericKubernetesResource snapshot) {
                             if (readyToUse(snapshot)) {
                                 snapshotReady.compareAndSet(null, Instant.now());
                                 snapshotName.compareAndSet(null, snapshot.getMetadata().getName());
                             }
                         }

                         @Override
                         public void onClose(WatcherException cause) {
                         }
                     })) {
            api.apps().statefulSets().inNamespace(ns).withName(set).scale(1);
            // On a timeout, say where the claim stands (its finalizers, the Events on it) and what the snapshot did.
            await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertTrue(
                    claimGone.get() != null || lostToTheCollector(ns, claimName), () -> "the claim " + claimName
                            + " is still there: " + claimState(ns, claimName) + "; snapshot ready "
                            + snapshotReady.get() + "; Events " + messages(ns, claimName)));
        }
        if (claimGone.get() == null) {
            return Optional.empty();
        }
        assertNotNull(snapshotReady.get(), "a snapshot became ready: " + messages(ns, claimName));
        assertFalse(claimGone.get().isBefore(snapshotReady.get()),
                "the snapshot was ready (" + snapshotReady + ") before the claim went (" + claimGone + ")");
        if (deletionAskedAfterReady) {
            assertFalse(claimDeleting.get().isBefore(snapshotReady.get()), "the snapshot was ready (" + snapshotReady
                    + ") before the claim's deletion was asked for (" + claimDeleting + ")");
        }
        awaitEvent(ns, claimName, "SnapshotReady");
        GenericKubernetesResource snapshot = api.genericKubernetesResources(SNAPSHOTS, "VolumeSnapshot")
                .inNamespace(ns).withName(snapshotName.get()).get();
        assertEquals(set, snapshot.getMetadata().getLabels().get("ordinal.csi.dev/statefulset"));
        assertEquals("1", snapshot.getMetadata().getLabels().get("ordinal.csi.dev/ordinal"));
        await().atMost(WAIT).until(() -> ordinalVolumes(ns).size() == 1);
        return Optional.of(snapshot);
    }

    /** The snapshot-controller refused the snapshot because the claim was already being deleted. */
    private boolean lostToTheCollector(String ns, String claim) {
        return events(ns, claim).stream().anyMatch(e -> "SnapshotFailed".equals(e.getReason())
                && e.getMessage().contains("being deleted"));
    }

    private String claimState(String ns, String claim) {
        PersistentVolumeClaim now = api.persistentVolumeClaims().inNamespace(ns).withName(claim).get();
        return now == null ? "gone" : "deletion " + now.getMetadata().getDeletionTimestamp() + ", finalizers "
                + now.getMetadata().getFinalizers() + ", annotations " + now.getMetadata().getAnnotations();
    }

    /**
     * A claim restored from the snapshot holds {@code text}, read as kubelet. A copy lives on its source's disk: the
     * restored claim's Pod goes to the node the snapshot was taken on.
     */
    private void assertRestores(String ns, String snapshot, String node, String text) throws IOException {
        claimWithPod(ns, "restored", Map.of("apiGroup", "snapshot.storage.k8s.io", "kind", "VolumeSnapshot",
                "name", snapshot), node);
        await().atMost(WAIT).until(() -> podRunning(ns, "restored"));
        assertEquals(text, kubelet.readFile(ns, "restored", "data", "payload"));
    }

    private static boolean readyToUse(GenericKubernetesResource snapshot) {
        return snapshot.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                && Boolean.TRUE.equals(status.get("readyToUse"));
    }

    /** A claim restored from a source and a Pod using it, kept on {@code node}. */
    private void claimWithPod(String ns, String name, Map<String, String> source, String node) {
        api.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .endMetadata().withNewSpec().withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce")
                .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
                .withNewDataSourceRef().withApiGroup(source.get("apiGroup")).withKind(source.get("kind"))
                .withName(source.get("name")).endDataSourceRef().endSpec().build()).create();
        api.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata().withNewSpec()
                .withNodeSelector(Map.of("kubernetes.io/hostname", node))
                .addNewContainer().withName("app").withImage("busybox")
                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount().endContainer()
                .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName(name)
                .endPersistentVolumeClaim().endVolume().endSpec().build()).create();
    }

    /**
     * A StatefulSet of 1Gi ordinal-dir claims, Parallel; {@code whenDeleted}/{@code whenScaled} null leaves the
     * spec's retention policy out (the API server fills it in).
     */
    private static StatefulSet statefulSet(String ns, String name, int replicas, Map<String, String> annotations,
            String whenDeleted, String whenScaled) {
        StatefulSetSpecBuilder spec = new StatefulSetSpecBuilder().withServiceName(name).withReplicas(replicas)
                .withPodManagementPolicy("Parallel").withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata().withNewSpec()
                .addNewContainer().withName(name).withImage("postgres:17").addNewVolumeMount().withName("data")
                .withMountPath("/var/lib/postgresql/data").endVolumeMount().endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata().withNewSpec()
                .withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().endVolumeClaimTemplate();
        if (whenDeleted != null) {
            spec.withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted(whenDeleted).withWhenScaled(whenScaled)
                    .endPersistentVolumeClaimRetentionPolicy();
        }
        return new StatefulSetBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .withAnnotations(annotations).endMetadata().withSpec(spec.build()).build();
    }

    private static String annotation(PersistentVolumeClaim claim, String key) {
        return claim == null || claim.getMetadata().getAnnotations() == null ? null
                : claim.getMetadata().getAnnotations().get(key);
    }

    /** The set's claims by name: uid. */
    private Map<String, String> claimUids(String ns, String set) {
        return setClaims(ns, set).stream().collect(Collectors.toMap(c -> c.getMetadata().getName(),
                c -> c.getMetadata().getUid()));
    }

    /** The set's claims by name: the PersistentVolume each is bound to. */
    private Map<String, String> volumeNames(String ns, String set) {
        return setClaims(ns, set).stream().collect(Collectors.toMap(c -> c.getMetadata().getName(),
                c -> c.getSpec().getVolumeName()));
    }

    private List<PersistentVolumeClaim> setClaims(String ns, String set) {
        return api.persistentVolumeClaims().inNamespace(ns).list().getItems().stream()
                .filter(c -> c.getMetadata().getName().startsWith("data-" + set + "-")).toList();
    }

    private Path volumePath(String ns, String claim) {
        return ordinalVolumes(ns).stream().filter(v -> claim.equals(v.getSpec().claimName)).findFirst()
                .map(v -> Path.of(v.getStatus().path)).orElseThrow();
    }

    private boolean hasEvent(String ns, String claim, String reason) {
        return events(ns, claim).stream().anyMatch(e -> reason.equals(e.getReason()));
    }

    /** The companion controller writes its Events in the background. */
    private void awaitEvent(String ns, String claim, String reason) {
        await().atMost(WAIT).untilAsserted(() -> assertTrue(hasEvent(ns, claim, reason),
                reason + " on " + claim + ": " + messages(ns, claim)));
    }
}
