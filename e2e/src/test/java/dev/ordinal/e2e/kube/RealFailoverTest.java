package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ordinal.contract.crd.OrdinalVolume;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two controller pods, as the chart runs them by default, on the real control plane: the leader's pod (the holder of
 * csi-provisioner's Lease) is killed (SIGKILL of every container, never restarted: its node died) in the middle of
 * a provisioning storm and of a scale-down with whenScaled=Delete, or frozen (SIGSTOP) past its Lease and resumed.
 * Every claim ends Bound to one volume or deleted, every volume exists once on disk, no directory is left that no
 * OrdinalVolume names, and a frozen leader writes no OrdinalVolume after the other pod took its Lease over (the
 * API server's record: each OrdinalVolume names the replica that placed it, with the server's creation time).
 *
 * <p>Counts: {@code -Dordinal.e2e.failover.claims} (storm, default 40) and {@code -Dordinal.e2e.failover.scale}
 * (scale-down, default 20), smaller than the issue's 100 and 50 so that `make e2e` finishes on a shared two-core
 * machine; raise them on a bigger one. {@code -Dordinal.e2e.failover.max-seconds} bounds kill to the next
 * CreateVolume (default 20, the issue's target). Each test leaves both pods running (a killed one is started again).
 */
class RealFailoverTest extends AgainstRealCluster {

    private static final Logger LOG = Logger.getLogger(RealFailoverTest.class);
    private static final String PROVISIONER_LEASE = "ordinal-csi-dev";
    private static final String PLACED_BY = "ordinal.csi.dev/placed-by";
    private static final Duration LONG = Duration.ofMinutes(15);
    private static final int CLAIMS = Integer.getInteger("ordinal.e2e.failover.claims", 40);
    private static final int SCALE = Integer.getInteger("ordinal.e2e.failover.scale", 20);
    private static final long MAX_SECONDS = Long.getLong("ordinal.e2e.failover.max-seconds", 20);

    /** When the test first saw each PersistentVolume, and when each went. */
    private final Map<String, Instant> pvAdded = new ConcurrentHashMap<>();
    private final Map<String, Instant> pvDeleted = new ConcurrentHashMap<>();
    private SharedIndexInformer<PersistentVolume> pvs;

    @Override
    int controllerPods() {
        return 2;
    }

    @BeforeEach
    void watchVolumes() {
        pvs = api.persistentVolumes().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolume pv) {
                pvAdded.putIfAbsent(pv.getMetadata().getName(), Instant.now());
            }

            @Override
            public void onUpdate(PersistentVolume before, PersistentVolume after) {
            }

            @Override
            public void onDelete(PersistentVolume pv, boolean unknownFinalState) {
                pvDeleted.putIfAbsent(pv.getMetadata().getName(), Instant.now());
            }
        });
    }

    @AfterEach
    void stopWatching() {
        pvs.close();
    }

    /**
     * SIGKILL of the leader's pod a quarter into a storm of claims: the other pod's csi-provisioner takes the Lease
     * once it expired, its driver rebuilds its model from the OrdinalVolumes and serves; every claim ends Bound
     * exactly once.
     */
    @Test
    void theLeadersPodKilledInAProvisioningStormEveryClaimEndsBoundToOneVolumeOnDisk() {
        String ns = namespace("storm");
        api.resource(statefulSet(ns, "storm", CLAIMS)).create();
        await().atMost(LONG).until(() -> bound(ns).size() >= CLAIMS / 4);
        OrdinalInstall.ControllerPod leader = leader();
        Instant killed = Instant.now();
        leader.kill();
        LOG.infof("killed %s with %d of %d claims Bound (load %s)", leader.name(), bound(ns).size(), CLAIMS,
                load());
        try {
            await().atMost(LONG).until(() -> bound(ns).size() == CLAIMS);
            OrdinalInstall.ControllerPod survivor = leader();
            assertNotEquals(leader.name(), survivor.name());
            Duration failover = firstPlacedAfter(ns, survivor.name(), killed);
            LOG.infof("kill to the next successful CreateVolume: %d ms (load %s)", failover.toMillis(), load());
            assertTrue(failover.toSeconds() < MAX_SECONDS, "kill to the next CreateVolume took " + failover);
            assertEveryClaimBoundToOneVolumeOnDisk(ns, CLAIMS);
        } finally {
            cluster.ordinal().restart(leader);
        }
    }

    /**
     * SIGKILL of the leader's pod while a StatefulSet of whenScaled=Delete scales from {@code SCALE} to 0: every
     * claim, PersistentVolume, OrdinalVolume and directory of the set goes, once.
     */
    @Test
    void theLeadersPodKilledInAScaleDownWithWhenScaledDeleteEveryVolumeGoesOnce() {
        String ns = namespace("shrink");
        api.resource(statefulSet(ns, "shrink", SCALE)).create();
        await().atMost(LONG).until(() -> bound(ns).size() == SCALE);
        assertEveryClaimBoundToOneVolumeOnDisk(ns, SCALE);
        Set<Path> paths = ordinalVolumes(ns).stream().map(v -> Path.of(v.getStatus().path))
                .collect(Collectors.toSet());
        Set<String> volumes = bound(ns).stream().map(c -> c.getSpec().getVolumeName()).collect(Collectors.toSet());

        api.apps().statefulSets().inNamespace(ns).withName("shrink").scale(0);
        await().atMost(LONG).until(() -> volumes.stream().filter(pvDeleted::containsKey).count() >= SCALE / 4);
        OrdinalInstall.ControllerPod leader = leader();
        Instant killed = Instant.now();
        leader.kill();
        LOG.infof("killed %s with %d of %d volumes deleted (load %s)", leader.name(),
                volumes.stream().filter(pvDeleted::containsKey).count(), SCALE, load());
        try {
            await().atMost(LONG).until(() -> api.persistentVolumeClaims().inNamespace(ns).list().getItems().isEmpty()
                    && volumes.stream().allMatch(v -> api.persistentVolumes().withName(v).get() == null)
                    && ordinalVolumes(ns).isEmpty());
            Instant next = volumes.stream().map(pvDeleted::get).filter(t -> t.isAfter(killed)).min(Instant::compareTo)
                    .orElseThrow();
            LOG.infof("kill to the next deleted volume: %d ms (load %s)", Duration.between(killed, next).toMillis(),
                    load());
            assertTrue(paths.stream().noneMatch(Files::exists), "every volume's directory is gone");
            assertNothingOrphanedOnDisk();
        } finally {
            cluster.ordinal().restart(leader);
        }
    }

    /**
     * SIGSTOP of the leader's pod in a storm, until the other pod's provisioner has taken the Lease over, then
     * SIGCONT: the resumed driver writes no OrdinalVolume (the API server has none it placed after it was frozen),
     * and every claim ends Bound exactly once.
     */
    @Test
    void theLeadersPodFrozenPastItsLeaseAndResumedWritesNothingAfterTheOtherTookOver() {
        int claims = Math.max(10, CLAIMS / 2);
        String ns = namespace("freeze");
        api.resource(statefulSet(ns, "freeze", claims)).create();
        await().atMost(LONG).until(() -> bound(ns).size() >= claims / 4);
        OrdinalInstall.ControllerPod frozen = leader();
        String frozenHolder = holder();
        Instant frozenAt = Instant.now();
        frozen.freeze();
        Instant tookOver;
        try {
            await().atMost(LONG).until(() -> !frozenHolder.equals(holder()));
            tookOver = Instant.now();
            LOG.infof("froze %s; %s took the Lease over after %d ms (load %s)", frozen.name(), holder(),
                    Duration.between(frozenAt, tookOver).toMillis(), load());
            // Provisioning goes on without the frozen pod.
            int before = bound(ns).size();
            await().atMost(LONG).until(() -> bound(ns).size() > before || before == claims);
        } finally {
            frozen.resume();
        }
        await().atMost(LONG).until(() -> bound(ns).size() == claims);
        List<String> late = api.resources(OrdinalVolume.class).list().getItems().stream()
                .filter(v -> frozen.name().equals(placedBy(v)))
                .filter(v -> !Instant.parse(v.getMetadata().getCreationTimestamp()).isBefore(
                        tookOver.minusSeconds(1)))
                .map(v -> v.getMetadata().getName() + "@" + v.getMetadata().getCreationTimestamp()).toList();
        assertEquals(List.of(), late, "OrdinalVolumes the frozen pod " + frozen.name() + " wrote after "
                + holder() + " took over at " + tookOver);
        assertEveryClaimBoundToOneVolumeOnDisk(ns, claims);
    }

    /** Every claim Bound to a PV of its own, each PV one Ready OrdinalVolume, each on disk once; nothing else. */
    private void assertEveryClaimBoundToOneVolumeOnDisk(String ns, int claims) {
        List<PersistentVolumeClaim> bound = bound(ns);
        assertEquals(claims, bound.size());
        Set<String> pvNames = bound.stream().map(c -> c.getSpec().getVolumeName()).collect(Collectors.toSet());
        assertEquals(claims, pvNames.size(), "each claim has a PersistentVolume of its own");
        await().atMost(LONG).untilAsserted(() -> {
            List<OrdinalVolume> volumes = ordinalVolumes(ns);
            assertEquals(claims, volumes.size(), "one OrdinalVolume per claim: "
                    + volumes.stream().map(v -> v.getSpec().claimName).sorted().toList());
            assertEquals(pvNames, volumes.stream().map(v -> v.getSpec().persistentVolume)
                    .collect(Collectors.toSet()));
            assertTrue(volumes.stream().allMatch(v -> v.getStatus() != null && "Ready".equals(v.getStatus().phase)
                    && Files.isDirectory(Path.of(v.getStatus().path))));
            assertNothingOrphanedOnDisk();
        });
        for (PersistentVolumeClaim claim : bound) {
            PersistentVolume pv = api.persistentVolumes().withName(claim.getSpec().getVolumeName()).get();
            assertEquals(claim.getMetadata().getUid(), pv.getSpec().getClaimRef().getUid(), claim.getMetadata()
                    .getName());
        }
    }

    /** Every volume directory on every node's disk is one an OrdinalVolume names, and the reverse. */
    private void assertNothingOrphanedOnDisk() {
        Set<Path> named = api.resources(OrdinalVolume.class).list().getItems().stream()
                .filter(v -> v.getStatus() != null && v.getStatus().path != null)
                .map(v -> Path.of(v.getStatus().path)).collect(Collectors.toSet());
        Set<Path> onDisk = new HashSet<>();
        for (OrdinalInstall.NodePlugin node : cluster.ordinal().nodes().values()) {
            Path volumes = node.hostPath("/var/lib/ordinal/disks/d1").resolve("volumes");
            if (!Files.isDirectory(volumes)) {
                continue;
            }
            try (Stream<Path> entries = Files.list(volumes)) {
                entries.filter(p -> !p.getFileName().toString().startsWith(".")).forEach(onDisk::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertEquals(named, onDisk, "volume directories on the nodes' disks against the OrdinalVolumes");
    }

    /**
     * Kill to the first PV of the namespace the API server created after the kill's second: only the new leader's
     * provisioner makes PVs then, each once its driver answered CreateVolume (the volume may have been placed by the
     * killed pod already: the new leader's CreateVolume then finds it, as a retry does).
     */
    private Duration firstPlacedAfter(String ns, String survivor, Instant killed) {
        Instant killSecond = killed.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant first = api.persistentVolumes().list().getItems().stream()
                .filter(pv -> pv.getSpec().getClaimRef() != null && ns.equals(pv.getSpec().getClaimRef()
                        .getNamespace()))
                .filter(pv -> Instant.parse(pv.getMetadata().getCreationTimestamp()).isAfter(killSecond))
                .map(pv -> pvAdded.get(pv.getMetadata().getName())).filter(t -> t != null)
                .min(Instant::compareTo).orElseThrow(() -> new AssertionError(survivor + " made no volume"));
        return Duration.between(killed, first);
    }

    private static String placedBy(OrdinalVolume volume) {
        Map<String, String> annotations = volume.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(PLACED_BY);
    }

    private String holder() {
        Lease lease = api.leases().inNamespace(OrdinalInstall.NAMESPACE).withName(PROVISIONER_LEASE).get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** The pod run here whose csi-provisioner holds the Lease (says so by its gauge: the Lease names no pod). */
    private OrdinalInstall.ControllerPod leader() {
        return await().atMost(LONG).until(() -> {
            List<OrdinalInstall.ControllerPod> leading = cluster.ordinal().controllers().stream()
                    .filter(OrdinalInstall.ControllerPod::provisionerLeads).toList();
            return leading.size() == 1 ? leading.getFirst() : null;
        }, p -> p != null);
    }

    private List<PersistentVolumeClaim> bound(String ns) {
        return api.persistentVolumeClaims().inNamespace(ns).list().getItems().stream()
                .filter(c -> c.getStatus() != null && "Bound".equals(c.getStatus().getPhase())).toList();
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** Parallel pods (the storm), one dir claim each, whenScaled=Delete and whenDeleted=Delete in the spec. */
    private static StatefulSet statefulSet(String ns, String name, int replicas) {
        return new StatefulSetBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().withServiceName(name).withReplicas(replicas).withPodManagementPolicy("Parallel")
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata().withNewSpec()
                .addNewContainer().withName(name).withImage("postgres:17").addNewVolumeMount().withName("data")
                .withMountPath("/var/lib/postgresql/data").endVolumeMount().endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata().withNewSpec()
                .withStorageClassName("ordinal-dir").withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().endVolumeClaimTemplate()
                .withNewPersistentVolumeClaimRetentionPolicy().withWhenDeleted("Delete").withWhenScaled("Delete")
                .endPersistentVolumeClaimRetentionPolicy().endSpec().build();
    }
}
