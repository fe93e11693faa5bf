package dev.ordinal.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** What a user of the chart would notice: classes, sidecar flags, mounts, disks, snapshots, images, NOTES. */
class ChartBehaviourTest {

    @Test
    void theCsiDriverNeedsNoAttachAndPublishesCapacity() {
        CSIDriver driver = Rendered.of(Repo.valuesFile("default")).one(CSIDriver.class, "ordinal.csi.dev");
        assertFalse(driver.getSpec().getAttachRequired());
        assertTrue(driver.getSpec().getPodInfoOnMount());
        assertTrue(driver.getSpec().getStorageCapacity());
        assertEquals("File", driver.getSpec().getFsGroupPolicy());
    }

    @Test
    void localClassesWaitForTheSchedulerAndNfsClassesBindAtOnce() {
        Rendered nfs = Rendered.of(Repo.valuesFile("nfs"));
        StorageClass local = nfs.one(StorageClass.class, "ordinal-image");
        assertEquals("WaitForFirstConsumer", local.getVolumeBindingMode());
        assertEquals(Map.of("layout", "image"), local.getParameters());
        assertTrue(local.getAllowVolumeExpansion());
        StorageClass shared = nfs.one(StorageClass.class, "ordinal-nfs");
        assertEquals("Immediate", shared.getVolumeBindingMode());
        assertEquals(Map.of("server", "nfs.example.com", "share", "/srv/k8s",
                "subDir", "${pvc.metadata.namespace}/${statefulset}-${ordinal}", "mountOptions", "nfsvers=4.1,hard",
                "onDelete", "archive"), shared.getParameters());
        assertEquals("[fd00::10]", nfs.one(StorageClass.class, "ordinal-nfs-archive").getParameters().get("server"));

        Rendered disks = Rendered.of(Repo.valuesFile("disks"));
        StorageClass image = disks.one(StorageClass.class, "ordinal-image");
        assertEquals(Map.of("layout", "image", "csi.storage.k8s.io/fstype", "xfs", "fitPolicy", "binpack",
                "spread", "node/hard"), image.getParameters());
        assertEquals("true", image.getMetadata().getAnnotations().get("storageclass.kubernetes.io/is-default-class"));
        StorageClass subvolume = disks.one(StorageClass.class, "ordinal-subvolume");
        assertEquals("true", subvolume.getParameters().get("orderedBinding"));
        assertEquals("Retain", subvolume.getReclaimPolicy());
        StorageClass dir = disks.one(StorageClass.class, "ordinal-dir");
        assertEquals("Immediate", dir.getVolumeBindingMode());
        // An Immediate local class is placed by the companion, which the chart runs by default.
        assertEquals("companion", dir.getParameters().get("placement"));
        assertFalse(image.getParameters().containsKey("placement"), "WaitForFirstConsumer: the scheduler places");
        assertFalse(dir.getAllowVolumeExpansion());
        assertEquals(List.of("noatime"), dir.getMountOptions());
    }

    @Test
    void immediateClassesAreLeftToTheDriverWithoutTheCompanionOrWhenTheyAskForIt() throws IOException {
        Path withoutCompanion = Files.createTempFile("ordinal-chart-", "-values.yaml");
        Path driverPlaced = Files.createTempFile("ordinal-chart-", "-values.yaml");
        try {
            Files.writeString(withoutCompanion, "controller:\n  companion:\n    enabled: false\n"
                    + "storageClasses:\n  - {name: fast, layout: dir, volumeBindingMode: Immediate}\n");
            Files.writeString(driverPlaced, "storageClasses:\n"
                    + "  - {name: fast, layout: dir, volumeBindingMode: Immediate, placement: driver}\n");
            StorageClass alone = Rendered.of(withoutCompanion).one(StorageClass.class, "fast");
            assertEquals(Map.of("layout", "dir"), alone.getParameters(), "no companion: the driver places");
            StorageClass asked = Rendered.of(driverPlaced).one(StorageClass.class, "fast");
            assertEquals(Map.of("layout", "dir", "placement", "driver"), asked.getParameters());
        } finally {
            Files.deleteIfExists(withoutCompanion);
            Files.deleteIfExists(driverPlaced);
        }
    }

    @Test
    void theProvisionerPassesClaimsAndCapacityAndEverySidecarElectsALeader() {
        PodSpec pod = Rendered.of(Repo.valuesFile("default")).controller().getSpec().getTemplate().getSpec();
        List<String> provisioner = Rendered.container(pod, "csi-provisioner").getArgs();
        // The driver reads the claim (ordinal identity, NFS templates): without this CreateVolume cannot.
        assertTrue(provisioner.contains("--extra-create-metadata"), provisioner::toString);
        assertTrue(provisioner.contains("--enable-capacity"), provisioner::toString);
        assertTrue(provisioner.contains("--strict-topology"), provisioner::toString);
        for (String sidecar : List.of("csi-provisioner", "csi-resizer", "csi-snapshotter")) {
            assertTrue(Rendered.container(pod, sidecar).getArgs().containsAll(List.of("--leader-election",
                    "--leader-election-lease-duration=10s", "--leader-election-renew-deadline=7s",
                    "--leader-election-retry-period=2s")), sidecar);
        }
        List<String> envs = Rendered.container(pod, "csi-provisioner").getEnv().stream().map(EnvVar::getName).toList();
        assertTrue(envs.containsAll(List.of("NAMESPACE", "POD_NAME")), "--enable-capacity needs the pod's identity");
    }

    /**
     * Two controller pods by default, replaced one at a time, on distinct nodes where there are enough, one kept
     * through drains; the driver follows csi-provisioner's Lease (named as the provisioner names it: the driver name
     * with dots as dashes) with the provisioner's renew deadline, as its pod.
     */
    @Test
    void twoControllerPodsByDefaultTheDriverFollowingTheProvisionersLease() throws IOException {
        Rendered rendered = Rendered.of(Repo.valuesFile("default"));
        Deployment controller = rendered.controller();
        assertEquals(2, controller.getSpec().getReplicas());
        assertEquals("RollingUpdate", controller.getSpec().getStrategy().getType());
        assertEquals(0, controller.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal());
        PodSpec pod = controller.getSpec().getTemplate().getSpec();
        var antiAffinity = pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
        assertEquals("kubernetes.io/hostname", antiAffinity.getFirst().getPodAffinityTerm().getTopologyKey());
        assertEquals(controller.getSpec().getSelector().getMatchLabels(),
                antiAffinity.getFirst().getPodAffinityTerm().getLabelSelector().getMatchLabels());
        assertEquals(1, rendered.kind("PodDisruptionBudget").size(), "a PodDisruptionBudget with two replicas");
        Container driver = Rendered.container(pod, "ordinal-driver");
        assertEquals(List.of("POD_NAME", "POD_NAMESPACE"), driver.getEnv().stream().map(EnvVar::getName)
                .filter(n -> n.startsWith("POD_")).toList());
        Properties config = properties(rendered.one(ConfigMap.class, "ordinal-controller"), "driver.properties");
        assertEquals("ordinal-csi-dev", config.getProperty("ordinal.cluster.leader-election.lease"));
        assertEquals("7s", config.getProperty("ordinal.cluster.leader-election.renew-deadline"));
        // The provisioner's gauge tells the driver which Lease holder is its own pod's provisioner.
        assertTrue(Rendered.container(pod, "csi-provisioner").getArgs().contains("--http-endpoint=127.0.0.1:9812"));
        assertEquals("http://127.0.0.1:9812/metrics",
                config.getProperty("ordinal.cluster.leader-election.provisioner-metrics"));

        Rendered single = Rendered.of(null, List.of("--set", "controller.replicas=1"));
        assertEquals(List.of(), single.kind("PodDisruptionBudget"), "no budget for one pod: it would block drains");
    }

    @Test
    void theNodePluginMountsTheKubeletDirectoryBidirectionallyAndEveryDisk() throws IOException {
        Rendered rendered = Rendered.of(Repo.valuesFile("disks"));
        PodSpec pod = rendered.node().getSpec().getTemplate().getSpec();
        Container driver = Rendered.container(pod, "ordinal-driver");
        assertEquals("Bidirectional", mount(driver, "/var/lib/kubelet").getMountPropagation());
        Map<String, String> disks = Map.of("nvme0", "/mnt/ordinal/nvme0", "btrfs0", "/mnt/ordinal/btrfs0",
                "scratch", "/var/lib/ordinal/disks/scratch");
        disks.forEach((name, path) -> {
            Volume volume = volume(pod, "disk-" + name);
            assertEquals(path, volume.getHostPath().getPath());
            assertEquals(name.equals("scratch") ? "DirectoryOrCreate" : "Directory", volume.getHostPath().getType(),
                    "a real disk's missing directory (not mounted) must keep the plugin from writing to the root disk");
            mount(driver, path);
        });
        Properties config = properties(rendered.one(ConfigMap.class, "ordinal-node"), "driver.properties");
        assertEquals("nvme0=/mnt/ordinal/nvme0,btrfs0=/mnt/ordinal/btrfs0,scratch=/var/lib/ordinal/disks/scratch",
                config.getProperty("ordinal.disks"));
        assertEquals("800Gi", config.getProperty("ordinal.disk-capacity.nvme0"));
        assertEquals("false", config.getProperty("ordinal.create-disk-dirs"));
        assertEquals("true", config.getProperty("ordinal.cluster.enabled"));
        assertEquals("200", config.getProperty("ordinal.max-volumes-per-node"));
        assertEquals("file:/etc/ordinal/driver.properties",
                driver.getEnv().stream().filter(e -> e.getName().equals("QUARKUS_CONFIG_LOCATIONS")).findFirst()
                        .orElseThrow().getValue());
        mount(driver, "/etc/ordinal/driver.properties");
        assertEquals("spec.nodeName", driver.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME"))
                .findFirst().orElseThrow().getValueFrom().getFieldRef().getFieldPath());
    }

    @Test
    void aCustomKubeletDirectoryReachesTheRegistrarAndThePublishRoot() throws IOException {
        Rendered rendered = Rendered.of(Repo.valuesFile("everything"));
        PodSpec pod = rendered.node().getSpec().getTemplate().getSpec();
        assertTrue(Rendered.container(pod, "node-driver-registrar").getArgs()
                .contains("--kubelet-registration-path=/var/lib/k0s/kubelet/plugins/ordinal.csi.dev/csi.sock"));
        assertEquals("Bidirectional", mount(Rendered.container(pod, "ordinal-driver"), "/var/lib/k0s/kubelet")
                .getMountPropagation());
        assertEquals("/var/lib/k0s/kubelet/plugins_registry", volume(pod, "registration-dir").getHostPath().getPath());
        assertEquals("/var/lib/k0s/kubelet", properties(rendered.one(ConfigMap.class, "ordinal-node"),
                "driver.properties").getProperty("ordinal.publish-roots"));
    }

    @Test
    void bothDriversServeHealthAndMetricsBeyondLoopbackForTheKubeletAndPrometheus() throws IOException {
        // The executable listens on 127.0.0.1 unless told otherwise (make run); a pod's probes and scrapes come
        // from outside it, to the pod's address.
        Rendered rendered = Rendered.of(Repo.valuesFile("default"));
        for (String map : List.of("ordinal-controller", "ordinal-node")) {
            assertEquals("0.0.0.0", properties(rendered.one(ConfigMap.class, map), "driver.properties")
                    .getProperty("quarkus.management.host"), map);
        }
    }

    @Test
    void nfsExportsAreMountedIntoTheControllerPodAndNamedInItsSettings() throws IOException {
        Rendered rendered = Rendered.of(Repo.valuesFile("nfs"));
        PodSpec pod = rendered.controller().getSpec().getTemplate().getSpec();
        assertEquals("fd00::10", volume(pod, "export-archive").getNfs().getServer(), "kubelet wants IPv6 bare");
        assertEquals("/srv/k8s", volume(pod, "export-main").getNfs().getPath());
        mount(Rendered.container(pod, "ordinal-driver"), "/exports/main");
        assertEquals("nfs.example.com:/srv/k8s=/exports/main,[fd00::10]:/export/archive=/exports/archive",
                properties(rendered.one(ConfigMap.class, "ordinal-controller"), "driver.properties")
                        .getProperty("ordinal.nfs.exports"));
        Rendered bind = Rendered.of(Repo.valuesFile("nfs-bind"));
        Properties node = properties(bind.one(ConfigMap.class, "ordinal-node"), "driver.properties");
        assertEquals("bind", node.getProperty("ordinal.nfs.node-mount"));
        assertEquals("10.0.0.5:/srv/k8s=/mnt/nfs/k8s", node.getProperty("ordinal.nfs.exports"));
        mount(Rendered.container(bind.node().getSpec().getTemplate().getSpec(), "ordinal-driver"), "/mnt/nfs/k8s");
    }

    @Test
    void snapshotsFollowTheClustersSnapshotApi() {
        // auto: on where snapshot.storage.k8s.io/v1 is served, off where it is not.
        Rendered with = Rendered.of(Repo.valuesFile("default"));
        assertTrue(Rendered.findContainer(with.controller().getSpec().getTemplate().getSpec(), "csi-snapshotter")
                .isPresent());
        assertEquals(1, with.kind("VolumeSnapshotClass").size());
        Rendered without = Rendered.of(Repo.valuesFile("default"), List.of());
        assertTrue(Rendered.findContainer(without.controller().getSpec().getTemplate().getSpec(), "csi-snapshotter")
                .isEmpty(), "a snapshotter without the snapshot CRDs only logs errors");
        assertTrue(without.kind("VolumeSnapshotClass").isEmpty());
        // true: on regardless (the CRDs come with the same deployment).
        HasMetadata forced = Rendered.of(Repo.valuesFile("everything"), List.of()).kind("VolumeSnapshotClass").get(0);
        assertEquals("ordinal-snapshots", forced.getMetadata().getName());
    }

    @Test
    void imagesComeFromTheChartsReleaseInTheChosenFlavor() {
        PodSpec native_ = Rendered.of(Repo.valuesFile("default")).controller().getSpec().getTemplate().getSpec();
        String version = Rendered.of(Repo.valuesFile("default")).controller().getMetadata().getLabels()
                .get("app.kubernetes.io/version");
        assertEquals("ghcr.io/ordinal-csi/ordinal-driver:" + version,
                Rendered.container(native_, "ordinal-driver").getImage());
        assertEquals("ghcr.io/ordinal-csi/ordinal-controller:" + version,
                Rendered.container(native_, "ordinal-controller").getImage());
        PodSpec jvm = Rendered.of(Repo.valuesFile("everything")).node().getSpec().getTemplate().getSpec();
        assertEquals("ghcr.io/ordinal-csi/ordinal-driver:0.1.0-jvm@sha256:"
                + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                Rendered.container(jvm, "ordinal-driver").getImage());
        for (var account : Rendered.of(Repo.valuesFile("everything")).all(ServiceAccount.class)) {
            assertEquals("ghcr", account.getImagePullSecrets().get(0).getName(), account.getMetadata().getName());
        }
    }

    /** Kubernetes 1.30 is the documented minimum: older clusters are refused before anything is applied. */
    @Test
    void kubernetesOlderThan130IsRefused() {
        Helm.succeed("template", Rendered.RELEASE, Repo.CHART, "--kube-version", "1.30.0");
        Helm.Result old = Helm.run("template", Rendered.RELEASE, Repo.CHART, "--kube-version", "1.29.9");
        assertFalse(old.ok(), "Kubernetes 1.29 was accepted");
        assertTrue(old.stderr().contains(">=1.30.0-0"), old.stderr());
    }

    @Test
    void theInstallNotesNameTheClassesAndShowAClaimTemplate() {
        String notes = Helm.succeed("install", Rendered.RELEASE, Repo.CHART, "--namespace", Rendered.NAMESPACE,
                "--dry-run=client", "--values", Repo.valuesFile("disks").toString());
        String shown = notes.substring(notes.indexOf("NOTES:"));
        for (String name : List.of("ordinal-image (default)", "ordinal-subvolume", "ordinal-dir")) {
            assertTrue(shown.contains(name), () -> "NOTES do not name " + name + ":\n" + shown);
        }
        assertTrue(shown.contains("volumeClaimTemplates:") && shown.contains("storageClassName: ordinal-image"),
                shown);
    }

    private static VolumeMount mount(Container c, String path) {
        return c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has nothing mounted at " + path));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static Properties properties(ConfigMap map, String key) throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(map.getData().get(key)));
        return properties;
    }
}
