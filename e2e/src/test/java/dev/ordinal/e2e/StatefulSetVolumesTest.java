package dev.ordinal.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * StatefulSets on Ordinal, end to end, as a user would see them: the driver in cluster mode (a controller and two
 * node agents on unix sockets), the companion controller, and emulated Kubernetes parts (see {@link Cluster}) in
 * one JVM. Each test has a namespace and StorageClass of its own; the cluster is shared.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatefulSetVolumesTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern WAITING_FOR = Pattern.compile("waiting for ordinal (\\d+) \\(");

    private Cluster cluster;
    private KubernetesClient api;

    @BeforeAll
    void startCluster() {
        cluster = new Cluster();
        api = cluster.api();
    }

    @AfterEach
    void nothingLeftMounted() {
        assertEquals(List.of(), cluster.mounts(), "kubelet tore every Pod volume down");
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Parallel pod management makes all claims at once and external-provisioner asks for all of them at once, over
     * and over; with orderedBinding the volumes are still made one ordinal at a time, each only after the one
     * before is Bound, and the refusals say which ordinal is waited for. "Made after Bound" is in the API server's
     * order: the driver wrote the volume's OrdinalVolume after the server stored the earlier claim as Bound (not:
     * the provisioner sent the call after the PV controller emulator heard back, see {@link History}).
     */
    @Test
    void orderedBindingWithParallelPodsMakesVolumesInOrdinalOrder() {
        String ns = "ordered";
        storageClass("ordinal-ordered", "Delete", Map.of("layout", "dir", "orderedBinding", "true"));
        statefulSet(ns, "web", 4, "ordinal-ordered", "Retain", "Retain");

        await().atMost(WAIT).until(() -> boundClaims(ns, "web").size() == 4);

        List<History.Call> calls = cluster.history().calls("CreateVolume", ns);
        Map<String, Long> boundAt = cluster.history().bindings(ns).stream()
                .collect(Collectors.toMap(History.Binding::claim, History.Binding::at, (a, b) -> a));
        long firstBinding = boundAt.values().stream().min(Long::compare).orElseThrow();
        Map<String, Long> madeAt = cluster.history().made(ns).stream()
                .collect(Collectors.toMap(History.Made::claim, History.Made::at, (a, b) -> a));
        for (int ordinal = 0; ordinal < 4; ordinal++) {
            String claim = "data-web-" + ordinal;
            List<History.Call> mine = calls.stream().filter(c -> c.claim().equals(claim)).toList();
            assertTrue(mine.get(0).sent() < firstBinding,
                    "every claim was asked for before any was bound (Parallel, concurrent provisioning): " + claim);
            assertEquals(1, mine.stream().filter(History.Call::ok).count(), claim + ": one volume, made once");
            History.Call made = mine.stream().filter(History.Call::ok).findFirst().orElseThrow();
            assertTrue(mine.stream().allMatch(c -> c.ok() || c.code() == Status.Code.ABORTED),
                    claim + ": refusals are ABORTED (retried), nothing else: " + mine);
            assertEquals(made, mine.get(mine.size() - 1), claim + ": no call after the one that made it");
            if (ordinal > 0) {
                long previousBound = boundAt.get("data-web-" + (ordinal - 1));
                Long volumeWritten = madeAt.get(claim);
                assertNotNull(volumeWritten, claim + ": the driver wrote an OrdinalVolume for it");
                assertTrue(volumeWritten > previousBound, claim + " was made only after ordinal " + (ordinal - 1)
                        + " was Bound (its OrdinalVolume stored at " + volumeWritten + ", ordinal " + (ordinal - 1)
                        + " stored as Bound at " + previousBound + ")");
                List<History.Call> refused = mine.stream().filter(c -> !c.ok()).toList();
                assertFalse(refused.isEmpty(), claim + " was refused while earlier ordinals were unbound");
                boolean namedAnOrdinal = false;
                for (History.Call call : refused) {
                    Matcher waiting = WAITING_FOR.matcher(call.message());
                    if (waiting.find()) {
                        int waitedFor = Integer.parseInt(waiting.group(1));
                        assertTrue(waitedFor < ordinal, call.message());
                        // The refusal was true when it was given: that ordinal was bound only later.
                        assertTrue(boundAt.get("data-web-" + waitedFor) > call.sent(), call.message());
                        namedAnOrdinal = true;
                    } else {
                        assertTrue(call.message().contains("ordinals 0 to " + (ordinal - 1) + " are Bound"),
                                call.message());
                    }
                }
                assertTrue(namedAnOrdinal, claim + ": a refusal named the ordinal it waited for: " + refused);
            }
        }
        // Bound in ordinal order, and the driver holds exactly these four volumes, one per ordinal.
        List<String> bindingOrder = cluster.history().bindings(ns).stream().map(History.Binding::claim).toList();
        assertEquals(List.of("data-web-0", "data-web-1", "data-web-2", "data-web-3"), bindingOrder);
        assertEquals(Set.of(0, 1, 2, 3), driverVolumes(ns).stream().map(v -> v.getSpec().identity.ordinal)
                .collect(Collectors.toSet()));
    }

    /**
     * Retain: ordinal 1's claim is deleted and made again by the StatefulSet controller; the driver refuses to
     * provision a new volume for it while the Released volume of ordinal 1 exists (here while the companion
     * controller is away), the controller then binds the re-created claim to that volume, and the Pod finds its
     * file as it left it. Nothing new is provisioned.
     */
    @Test
    void aDeletedClaimComesBackToItsRetainedVolumeWithTheDataIntact() throws Exception {
        String ns = "follow";
        storageClass("ordinal-retain", "Retain", Map.of("layout", "dir"));
        statefulSet(ns, "db", 3, "ordinal-retain", "Retain", "Retain");
        await().atMost(WAIT).until(() -> boundClaims(ns, "db").size() == 3);

        PersistentVolumeClaim before = claim(ns, "data-db-1");
        String pvName = before.getSpec().getVolumeName();
        Kubelet.Mounted first = cluster.kubelet().mount(ns, "db-1", "data");
        String written = writeRandomFile(first.target().resolve("payload.bin"), 1 << 20);
        cluster.kubelet().unmount(first);

        // The companion controller is away while the claim comes back: only the driver keeps a new volume from
        // being made. The StatefulSet controller reacts after the PV controller has released the volume.
        cluster.controller().stopLeading();
        cluster.statefulSetController().pause();
        api.pods().inNamespace(ns).withName("db-1").delete();
        api.persistentVolumeClaims().inNamespace(ns).withName("data-db-1").delete();
        await().atMost(WAIT).until(() -> "Released".equals(PersistentVolumeController.phase(pv(pvName))));
        assertEquals(before.getMetadata().getUid(), pv(pvName).getSpec().getClaimRef().getUid(),
                "a Released volume keeps its claimRef");
        cluster.statefulSetController().resume();

        await().atMost(WAIT).until(() -> claim(ns, "data-db-1") != null
                && !claim(ns, "data-db-1").getMetadata().getUid().equals(before.getMetadata().getUid()));
        String newUid = claim(ns, "data-db-1").getMetadata().getUid();
        await().atMost(WAIT).until(() -> cluster.history().calls("CreateVolume", ns, "data-db-1").stream()
                .anyMatch(c -> c.claimUid().equals(newUid) && c.code() == Status.Code.ABORTED));

        cluster.controller().resumeElection();
        await().atMost(WAIT).until(() -> cluster.controller().isLeader());
        await().atMost(WAIT).until(() -> "Bound".equals(PersistentVolumeController.phase(claim(ns, "data-db-1"))));
        assertEquals(pvName, claim(ns, "data-db-1").getSpec().getVolumeName(), "bound to the Retained volume");

        Kubelet.Mounted again = cluster.kubelet().mount(ns, "db-1", "data");
        try {
            assertEquals(first.volumeId(), again.volumeId());
            assertEquals(written, sha256(again.target().resolve("payload.bin")), "the data is as it was left");
        } finally {
            cluster.kubelet().unmount(again);
        }

        List<History.Call> forNewClaim = cluster.history().calls("CreateVolume", ns, "data-db-1").stream()
                .filter(c -> c.claimUid().equals(newUid)).toList();
        for (History.Call call : forNewClaim) {
            assertEquals(Status.Code.ABORTED, call.code(), call.toString());
            // Before the controller binds: the Released volume is named. A provisioner retry that arrives after
            // the controller has pointed the volume's claimRef at the new claim, but before the PV controller
            // marks the claim Bound, is told the volume is already being bound to it. Both refuse a new volume.
            boolean released = call.message().contains("the Released volume " + pvName + " holds its data");
            boolean beingBound = call.message().contains("the volume " + pvName + ", which holds its data, is "
                    + "already being bound to this claim");
            assertTrue(released || beingBound, call.message());
        }
        assertEquals(3, driverVolumes(ns).size(), "nothing new was provisioned");
        assertEquals(3, cluster.history().calls("CreateVolume", ns).stream().filter(History.Call::ok).count());
    }

    /**
     * The PV controller and the StatefulSet controller act on their own: the claim can be made again while its old
     * volume is still Bound to the deleted claim (the PV controller has not marked it Released yet). The driver
     * must not make a new, empty volume for the ordinal in that window; once the volume is Released it is bound
     * back, with its data.
     */
    @Test
    void aClaimMadeAgainBeforeItsVolumeIsReleasedStillGetsItsVolumeBack() throws Exception {
        String ns = "late";
        storageClass("ordinal-retain-late", "Retain", Map.of("layout", "dir"));
        statefulSet(ns, "kv", 2, "ordinal-retain-late", "Retain", "Retain");
        await().atMost(WAIT).until(() -> boundClaims(ns, "kv").size() == 2);
        PersistentVolumeClaim before = claim(ns, "data-kv-1");
        String pvName = before.getSpec().getVolumeName();
        Kubelet.Mounted first = cluster.kubelet().mount(ns, "kv-1", "data");
        String written = writeRandomFile(first.target().resolve("payload.bin"), 1 << 20);
        cluster.kubelet().unmount(first);

        cluster.persistentVolumeController().pause();
        try {
            api.pods().inNamespace(ns).withName("kv-1").delete();
            api.persistentVolumeClaims().inNamespace(ns).withName("data-kv-1").delete();
            await().atMost(WAIT).until(() -> claim(ns, "data-kv-1") != null
                    && !claim(ns, "data-kv-1").getMetadata().getUid().equals(before.getMetadata().getUid()));
            String newUid = claim(ns, "data-kv-1").getMetadata().getUid();
            // external-provisioner asks (and asks again) while the old volume is still Bound to the deleted claim.
            await().atMost(WAIT).until(() -> cluster.history().calls("CreateVolume", ns, "data-kv-1").stream()
                    .filter(c -> c.claimUid().equals(newUid)).count() >= 2
                    || cluster.history().calls("CreateVolume", ns, "data-kv-1").stream()
                            .anyMatch(c -> c.claimUid().equals(newUid) && c.ok()));
            assertEquals("Bound", PersistentVolumeController.phase(pv(pvName)), "the PV controller has not acted");
            List<History.Call> asked = cluster.history().calls("CreateVolume", ns, "data-kv-1").stream()
                    .filter(c -> c.claimUid().equals(newUid)).toList();
            for (History.Call call : asked) {
                assertEquals(Status.Code.ABORTED, call.code(), "no new volume for ordinal 1 while " + pvName
                        + " holds its data: " + call);
                assertTrue(call.message().contains(pvName), call.message());
            }
        } finally {
            cluster.persistentVolumeController().resume();
        }
        await().atMost(WAIT).until(() -> "Bound".equals(PersistentVolumeController.phase(claim(ns, "data-kv-1"))));
        assertEquals(pvName, claim(ns, "data-kv-1").getSpec().getVolumeName(), "bound to the Retained volume");
        Kubelet.Mounted again = cluster.kubelet().mount(ns, "kv-1", "data");
        try {
            assertEquals(written, sha256(again.target().resolve("payload.bin")), "the data is as it was left");
        } finally {
            cluster.kubelet().unmount(again);
        }
        assertEquals(2, driverVolumes(ns).size(), "nothing new was provisioned");
    }

    /**
     * whenScaled=Delete with reclaim policy Retain and ordered binding: scaling 3 to 1 deletes claims 1 and 2 but
     * keeps their volumes (Released); scaling back to 3 makes the claims again, and each ordinal is bound to its own
     * volume again, with its data, without a new volume being made.
     */
    @Test
    void scalingDownAndUpAgainGivesEachOrdinalItsOwnVolumeBack() throws Exception {
        String ns = "updown";
        storageClass("ordinal-retain-ordered", "Retain", Map.of("layout", "dir", "orderedBinding", "true"));
        statefulSet(ns, "queue", 3, "ordinal-retain-ordered", "Retain", "Delete");
        await().atMost(WAIT).until(() -> boundClaims(ns, "queue").size() == 3);
        Map<Integer, String> volumes = new TreeMap<>();
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            volumes.put(ordinal, claim(ns, "data-queue-" + ordinal).getSpec().getVolumeName());
        }
        Kubelet.Mounted first = cluster.kubelet().mount(ns, "queue-2", "data");
        String written = writeRandomFile(first.target().resolve("payload.bin"), 1 << 20);
        cluster.kubelet().unmount(first);

        scale(ns, "queue", 1);
        await().atMost(WAIT).until(() -> claim(ns, "data-queue-1") == null && claim(ns, "data-queue-2") == null);
        await().atMost(WAIT).until(() -> "Released".equals(PersistentVolumeController.phase(pv(volumes.get(1))))
                && "Released".equals(PersistentVolumeController.phase(pv(volumes.get(2)))));
        scale(ns, "queue", 3);
        await().atMost(WAIT).until(() -> boundClaims(ns, "queue").size() == 3);

        for (int ordinal = 0; ordinal < 3; ordinal++) {
            assertEquals(volumes.get(ordinal), claim(ns, "data-queue-" + ordinal).getSpec().getVolumeName(),
                    "ordinal " + ordinal + " has its own volume");
        }
        Kubelet.Mounted again = cluster.kubelet().mount(ns, "queue-2", "data");
        try {
            assertEquals(written, sha256(again.target().resolve("payload.bin")), "the data is as it was left");
        } finally {
            cluster.kubelet().unmount(again);
        }
        assertEquals(3, driverVolumes(ns).size(), "nothing new was provisioned");
        assertEquals(3, cluster.history().calls("CreateVolume", ns).stream().filter(History.Call::ok).count());
    }

    /**
     * whenScaled=Delete with reclaim policy Delete: scaling 3 to 1 deletes claims 1 and 2 (the companion
     * controller), their volumes are deleted through DeleteVolume (external-provisioner), and their directories
     * are gone from the nodes' disks.
     */
    @Test
    void scalingDownWithWhenScaledDeleteRemovesTheVolumesFromTheDisks() {
        String ns = "shrink";
        storageClass("ordinal-delete", "Delete", Map.of("layout", "dir"));
        statefulSet(ns, "cache", 3, "ordinal-delete", "Retain", "Delete");
        await().atMost(WAIT).until(() -> boundClaims(ns, "cache").size() == 3);
        Map<Integer, String> handles = new TreeMap<>();
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            handles.put(ordinal, pv(claim(ns, "data-cache-" + ordinal).getSpec().getVolumeName()).getSpec().getCsi()
                    .getVolumeHandle());
            assertTrue(Files.isDirectory(cluster.volumeDirectory(handles.get(ordinal))));
        }
        Kubelet.Mounted kept = cluster.kubelet().mount(ns, "cache-0", "data");
        try {
            // kubelet tears the volumes of the Pods being removed down; the StatefulSet controller removes them.
            for (int ordinal = 1; ordinal < 3; ordinal++) {
                cluster.kubelet().unmount(cluster.kubelet().mount(ns, "cache-" + ordinal, "data"));
            }
            scale(ns, "cache", 1);

            await().atMost(WAIT).until(() -> driverVolumes(ns).size() == 1);
            assertEquals(Set.of("data-cache-0"), api.persistentVolumeClaims().inNamespace(ns).list().getItems()
                    .stream().map(c -> c.getMetadata().getName()).collect(Collectors.toSet()));
            await().atMost(WAIT).until(() -> api.persistentVolumes().list().getItems().stream()
                    .filter(v -> ns.equals(v.getSpec().getClaimRef().getNamespace())).count() == 1);
            assertFalse(Files.exists(cluster.volumeDirectory(handles.get(1))));
            assertFalse(Files.exists(cluster.volumeDirectory(handles.get(2))));
            assertTrue(Files.isDirectory(cluster.volumeDirectory(handles.get(0))));
            Set<String> deleted = cluster.history().calls("DeleteVolume", ns).stream().filter(History.Call::ok)
                    .map(History.Call::volume).collect(Collectors.toSet());
            assertEquals(Set.of(handles.get(1), handles.get(2)), deleted);
        } finally {
            cluster.kubelet().unmount(kept);
        }
    }

    private void storageClass(String name, String reclaimPolicy, Map<String, String> parameters) {
        api.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata().withName(name)
                .endMetadata().withProvisioner(Cluster.DRIVER).withReclaimPolicy(reclaimPolicy)
                .withVolumeBindingMode("Immediate").withParameters(parameters).build()).create();
    }

    private void statefulSet(String ns, String name, int replicas, String storageClass, String whenDeleted,
            String whenScaled) {
        api.apps().statefulSets().inNamespace(ns).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(replicas).withServiceName(name).withPodManagementPolicy("Parallel")
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").addNewVolumeMount()
                .withName("data").withMountPath("/data").endVolumeMount().endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata()
                .withNewSpec().withStorageClassName(storageClass).withAccessModes("ReadWriteOnce")
                .withNewResources().withRequests(Map.of("storage", new Quantity("64Mi"))).endResources().endSpec()
                .endVolumeClaimTemplate()
                .withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted(whenDeleted).withWhenScaled(whenScaled)
                .endPersistentVolumeClaimRetentionPolicy()
                .endSpec().build()).create();
    }

    private void scale(String ns, String name, int replicas) {
        api.apps().statefulSets().inNamespace(ns).withName(name)
                .edit(s -> new StatefulSetBuilder(s).editSpec().withReplicas(replicas).endSpec().build());
    }

    private Set<String> boundClaims(String ns, String set) {
        return api.persistentVolumeClaims().inNamespace(ns).list().getItems().stream()
                .filter(c -> c.getMetadata().getName().startsWith("data-" + set + "-"))
                .filter(c -> "Bound".equals(PersistentVolumeController.phase(c)))
                .map(c -> c.getMetadata().getName()).collect(Collectors.toSet());
    }

    private PersistentVolumeClaim claim(String ns, String name) {
        return api.persistentVolumeClaims().inNamespace(ns).withName(name).get();
    }

    private PersistentVolume pv(String name) {
        return api.persistentVolumes().withName(name).get();
    }

    private List<OrdinalVolume> driverVolumes(String ns) {
        return cluster.driverVolumes().stream().filter(v -> ns.equals(v.getSpec().claimNamespace)).toList();
    }

    private static String writeRandomFile(Path file, int bytes) throws IOException {
        byte[] data = new byte[bytes];
        new Random().nextBytes(data);
        Files.write(file, data);
        return sha256(file);
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
