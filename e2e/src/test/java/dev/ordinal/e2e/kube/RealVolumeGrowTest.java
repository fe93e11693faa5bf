package dev.ordinal.e2e.kube;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ordinal.contract.Annotations;
import dev.ordinal.contract.crd.OrdinalNode;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Growing a StatefulSet's volumes through the companion controller ({@code ordinal.csi.dev/claim-size.<template>}),
 * on the real control plane: the real csi-resizer grows each claim's volume through the driver, and the test plays
 * kubelet's part (NodeExpandVolume on the node plugin's socket, then the claim's status as kubelet leaves it:
 * {@link KubeletVolumes#expandIfPending}), since kwok runs no kubelet. Image volumes need that node part (loop
 * device and ext4 grown), so the rollout waits for it at every ordinal. Data is written and read back as kubelet.
 */
class RealVolumeGrowTest extends AgainstRealCluster {

    private static final Logger LOG = Logger.getLogger(RealVolumeGrowTest.class);
    private static final long GI = 1L << 30;
    private static final Duration ROLLOUT = Duration.ofMinutes(6);

    /**
     * Five ordinals of 1Gi image volumes grown to 2Gi one after the other: at every look, the claims asking 2Gi are
     * the lowest ordinals and at most one of them is not finished; each ends holding 2Gi with its filesystem grown
     * and the file written before still there; the Pods are the same, Running, throughout; the StatefulSet's status
     * annotation and Events tell the rollout, ordinal by ordinal.
     */
    @Test
    void fiveOrdinalsGrowFrom1GiTo2GiOneAfterTheOtherWithTheirDataIntactAsKubelet() throws IOException {
        String ns = namespace("grow");
        api.resource(statefulSet(ns, "db", 5, "ordinal-image")).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "db").size() == 5);
        Map<String, String> podUids = podUids(ns, "db");
        for (int ordinal = 0; ordinal < 5; ordinal++) {
            kubelet.writeFile(ns, "db-" + ordinal, "data", "payload",
                    "ordinal " + ordinal + " before the growth\n");
        }

        annotate(ns, "db", Map.of(Annotations.CLAIM_SIZE_PREFIX + "data", "2Gi"));
        List<Long> filesystems = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        await().atMost(ROLLOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
            List<PersistentVolumeClaim> claims = claims(ns, "db", 5);
            TreeSet<Integer> asking = new TreeSet<>();
            List<Integer> inFlight = new ArrayList<>();
            for (int ordinal = 0; ordinal < 5; ordinal++) {
                PersistentVolumeClaim claim = claims.get(ordinal);
                if (requested(claim) >= 2 * GI) {
                    asking.add(ordinal);
                    if (capacity(claim) < 2 * GI || KubeletVolumes.nodeResizePending(claim)) {
                        inFlight.add(ordinal);
                    }
                }
            }
            seen.add(asking + " in flight " + inFlight);
            assertTrue(asking.isEmpty() || asking.last() == asking.size() - 1,
                    "the claims asking 2Gi are the lowest ordinals: " + seen);
            assertTrue(inFlight.size() <= 1, "one claim at a time: " + seen);
            for (int ordinal : inFlight) {
                kubelet.expandIfPending(ns, "db-" + ordinal, "data")
                        .ifPresent(expanded -> filesystems.add(expanded.filesystemBytes()));
            }
            return "Complete".equals(status(ns, "db").path("state").asText());
        });
        LOG.infof("rollout as seen: %s", seen.stream().distinct().toList());

        for (PersistentVolumeClaim claim : claims(ns, "db", 5)) {
            assertEquals(new Quantity("2Gi"), claim.getStatus().getCapacity().get("storage"),
                    claim.getMetadata().getName());
            assertFalse(KubeletVolumes.nodeResizePending(claim), claim.getMetadata().getName());
        }
        assertEquals(5, filesystems.size(), "kubelet's part ran once per ordinal: " + filesystems);
        for (long bytes : filesystems) {
            assertTrue(bytes > 3 * GI / 2, "the ext4 filesystem grew to about 2Gi: " + bytes);
        }
        for (int ordinal = 0; ordinal < 5; ordinal++) {
            assertEquals("ordinal " + ordinal + " before the growth\n",
                    kubelet.readFile(ns, "db-" + ordinal, "data", "payload"));
        }
        assertEquals(podUids, podUids(ns, "db"), "the same Pods");
        assertEquals(5, runningPods(ns, "db").size(), "all Running");
        JsonNode status = status(ns, "db");
        assertEquals(5, status.path("done").asInt(), status.toString());
        assertEquals(5, status.path("total").asInt(), status.toString());
        await().atMost(WAIT).untilAsserted(() -> {
            List<String> reasons = events(ns, "db").stream().map(e -> e.getReason()).toList();
            assertEquals(5, reasons.stream().filter("VolumeGrowing"::equals).count(), messages(ns, "db").toString());
            assertEquals(5, reasons.stream().filter("VolumeGrown"::equals).count(), messages(ns, "db").toString());
            assertTrue(reasons.contains("VolumeGrowComplete"), messages(ns, "db").toString());
        });
        for (int ordinal = 0; ordinal < 5; ordinal++) {
            String claim = "data-db-" + ordinal;
            await().atMost(WAIT).untilAsserted(() -> assertTrue(messages(ns, claim).stream()
                    .anyMatch(m -> m.startsWith("VolumeGrown: " + claim)), messages(ns, claim).toString()));
        }
    }

    /**
     * A size the disk has no room for is refused before any claim is asked for it: a Warning Event names the claim
     * and the room, the status annotation says where the rollout stopped and why, and no claim changes. Asked a
     * size that fits, the rollout goes on from there (dir volumes: no node part).
     */
    @Test
    void aSizeTheDiskHasNoRoomForIsRefusedWithAnEventNamingTheClaimAndNothingChanges() {
        String ns = namespace("full");
        api.resource(statefulSet(ns, "full", 2, "ordinal-dir")).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "full").size() == 2);
        PersistentVolumeClaim first = claim(ns, "data-full-0");
        String node = nodeAffinity(api.persistentVolumes().withName(first.getSpec().getVolumeName()).get());
        long free = api.resources(OrdinalNode.class).withName(node).get().getStatus().disks.stream()
                .filter(d -> "d1".equals(d.name)).findFirst().map(d -> d.allocatableBytes).orElseThrow();
        String tooLarge = (free / GI + 2) + "Gi";

        annotate(ns, "full", Map.of(Annotations.CLAIM_SIZE_PREFIX + "data", tooLarge));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(events(ns, "data-full-0").stream().anyMatch(e ->
                "VolumeGrowRefused".equals(e.getReason()) && "Warning".equals(e.getType())
                        && e.getMessage().contains("data-full-0") && e.getMessage().contains("free")
                        && e.getMessage().contains("to " + tooLarge)), messages(ns, "data-full-0").toString()));
        JsonNode status = status(ns, "full");
        assertEquals("Stopped", status.path("state").asText(), status.toString());
        assertTrue(status.path("reason").asText().startsWith("data-full-0: its disk " + node + "/d1 has"),
                status.toString());
        assertEquals(0, status.path("done").asInt(), status.toString());
        for (PersistentVolumeClaim claim : claims(ns, "full", 2)) {
            assertEquals(GI, requested(claim), "no claim is asked for what its disk cannot give");
        }
        assertTrue(messages(ns, "full").stream().anyMatch(m -> m.startsWith("VolumeGrowRefused: Not growing "
                + "data-full-0")), messages(ns, "full").toString());

        annotate(ns, "full", Map.of(Annotations.CLAIM_SIZE_PREFIX + "data", "2Gi"));
        await().atMost(WAIT).until(() -> "Complete".equals(status(ns, "full").path("state").asText()));
        for (PersistentVolumeClaim claim : claims(ns, "full", 2)) {
            assertEquals(new Quantity("2Gi"), claim.getStatus().getCapacity().get("storage"));
        }
    }

    /**
     * The companion controller killed (SIGKILL) while ordinal 1 waits for its node part: kubelet finishes that
     * ordinal while no controller runs, and nothing else starts; a new companion process finds from the claims and
     * the status annotation where the rollout was, tells ordinal 1 grown, and grows ordinal 2, asked once.
     */
    @Test
    void aCompanionKilledMidRolloutCarriesOnWhereItWasAfterItsRestart() throws IOException {
        String ns = namespace("restart");
        api.resource(statefulSet(ns, "kv", 3, "ordinal-image")).create();
        await().atMost(WAIT).until(() -> runningPods(ns, "kv").size() == 3);
        annotate(ns, "kv", Map.of(Annotations.CLAIM_SIZE_PREFIX + "data", "2Gi"));

        await().atMost(ROLLOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
            kubelet.expandIfPending(ns, "kv-0", "data");
            return KubeletVolumes.nodeResizePending(claim(ns, "data-kv-1"));
        });
        assertEquals(List.of(1), currentOrdinals(ns, "kv"), status(ns, "kv").toString());
        ChildProcess companion = companion();
        companion.kill();
        assertTrue(kubelet.expandIfPending(ns, "kv-1", "data").isPresent(), "kubelet finishes ordinal 1");
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> requested(claim(ns, "data-kv-2")) == GI);

        cluster.controlPlane().start("ordinal-controller-restarted", companion.command(), companion.environment());
        await().atMost(ROLLOUT).pollInterval(Duration.ofMillis(500)).until(() -> {
            kubelet.expandIfPending(ns, "kv-2", "data");
            return "Complete".equals(status(ns, "kv").path("state").asText());
        });
        for (PersistentVolumeClaim claim : claims(ns, "kv", 3)) {
            assertEquals(new Quantity("2Gi"), claim.getStatus().getCapacity().get("storage"));
        }
        await().atMost(WAIT).untilAsserted(() -> {
            List<String> told = messages(ns, "kv");
            for (int ordinal = 0; ordinal < 3; ordinal++) {
                String claim = "data-kv-" + ordinal;
                assertEquals(1, told.stream().filter(m -> m.startsWith("VolumeGrowing: Growing " + claim)).count(),
                        claim + " asked once: " + told);
                assertTrue(told.stream().anyMatch(m -> m.startsWith("VolumeGrown: " + claim)), claim + ": " + told);
            }
        });
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** The running companion controller process (the chart's container, as the harness runs it). */
    private ChildProcess companion() {
        return cluster.controlPlane().processes().stream()
                .filter(p -> p.name().startsWith("ordinal-controller") && p.alive()).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("no companion controller runs"));
    }

    private static StatefulSet statefulSet(String ns, String name, int replicas, String storageClass) {
        return new StatefulSetBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata().withNewSpec()
                .withServiceName(name).withReplicas(replicas).withPodManagementPolicy("Parallel")
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata().withNewSpec()
                .addNewContainer().withName(name).withImage("postgres:17").addNewVolumeMount().withName("data")
                .withMountPath("/var/lib/postgresql/data").endVolumeMount().endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata().withNewSpec()
                .withStorageClassName(storageClass).withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().endVolumeClaimTemplate()
                .endSpec().build();
    }

    private void annotate(String ns, String set, Map<String, String> annotations) {
        api.apps().statefulSets().inNamespace(ns).withName(set).edit(s -> {
            if (s.getMetadata().getAnnotations() == null) {
                s.getMetadata().setAnnotations(new java.util.HashMap<>());
            }
            s.getMetadata().getAnnotations().putAll(annotations);
            return s;
        });
    }

    /** The set's status annotation for template data, as JSON (empty JSON while there is none). */
    private JsonNode status(String ns, String set) {
        String text = Optional.ofNullable(api.apps().statefulSets().inNamespace(ns).withName(set).get().getMetadata()
                .getAnnotations()).map(a -> a.get(Annotations.CLAIM_SIZE_STATUS_PREFIX + "data")).orElse("{}");
        try {
            return Serialization.jsonMapper().readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Integer> currentOrdinals(String ns, String set) {
        List<Integer> current = new ArrayList<>();
        status(ns, set).path("current").forEach(n -> current.add(n.asInt()));
        return current;
    }

    /** Claims data-{set}-0 .. {count-1}, in ordinal order. */
    private List<PersistentVolumeClaim> claims(String ns, String set, int count) {
        return IntStream.range(0, count).mapToObj(i -> claim(ns, "data-" + set + "-" + i)).toList();
    }

    private static long requested(PersistentVolumeClaim claim) {
        return Quantity.getAmountInBytes(claim.getSpec().getResources().getRequests().get("storage")).longValue();
    }

    private static long capacity(PersistentVolumeClaim claim) {
        return claim.getStatus() == null || claim.getStatus().getCapacity() == null ? 0
                : Quantity.getAmountInBytes(claim.getStatus().getCapacity().get("storage")).longValue();
    }

    private Map<String, String> podUids(String ns, String app) {
        return api.pods().inNamespace(ns).withLabel("app", app).list().getItems().stream()
                .collect(Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getMetadata().getUid(),
                        (a, b) -> a, TreeMap::new));
    }
}
