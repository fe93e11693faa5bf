package dev.ordinal.driver.crash;

import dev.ordinal.csi.v1.VolumeCapability;
import dev.ordinal.driver.support.Csi;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One case of the crash harness: a layout with an access type, as a StorageClass and a claim would ask for it, and
 * what its volumes can do (grow on the node) and cost (an xfs image takes at least 300 MiB of real disk, so fewer
 * of them live at once).
 */
enum CrashLayout {
    DIR("dir", "dir", Csi.mount(""), Disk.PLAIN, 16, false, 8),
    EXT4_IMAGE("ext4-image", "image", Csi.mount("ext4"), Disk.PLAIN, 16, true, 8),
    XFS_IMAGE("xfs-image", "image", Csi.mount("xfs"), Disk.PLAIN, 300, true, 3),
    BLOCK_IMAGE("block-image", "image", Csi.block(), Disk.PLAIN, 16, true, 8),
    SUBVOLUME("subvolume", "subvolume", Csi.mount(""), Disk.BTRFS, 16, false, 8),
    NFS("nfs", "", multiWriter(), Disk.NFS_EXPORT, 16, true, 8);

    /** Where the case's volumes live. */
    enum Disk {
        /** A directory under the test's root, on whatever filesystem /tmp has. */
        PLAIN,
        /** A btrfs filesystem of its own, on a loop device under the test's root (subvolumes need btrfs). */
        BTRFS,
        /** A directory standing in for an NFS export, served by the NFS backend. */
        NFS_EXPORT
    }

    /** The name a replay command and {@code -Dordinal.crash.layouts} use. */
    final String label;
    final String layout;
    final VolumeCapability capability;
    final Disk disk;
    /** The smallest volume the harness asks for, in MiB (mkfs.xfs refuses less than 300 MiB). */
    final long smallestMiB;
    /** Whether ControllerExpandVolume leaves a NodeExpandVolume to do (a filesystem or a device to grow). */
    final boolean nodeExpands;
    /** How many volumes and snapshots may live at once; older ones are deleted first. */
    final int alive;

    CrashLayout(String label, String layout, VolumeCapability capability, Disk disk, long smallestMiB,
            boolean nodeExpands, int alive) {
        this.label = label;
        this.layout = layout;
        this.capability = capability;
        this.disk = disk;
        this.smallestMiB = smallestMiB;
        this.nodeExpands = nodeExpands;
        this.alive = alive;
    }

    boolean block() {
        return capability.hasBlock();
    }

    boolean image() {
        return layout.equals("image");
    }

    String fsType() {
        return capability.hasMount() ? capability.getMount().getFsType() : "";
    }

    /** The StorageClass parameters of a CreateVolume, with what external-provisioner adds for an NFS subdir. */
    Map<String, String> parameters(String name) {
        if (disk == Disk.NFS_EXPORT) {
            return Map.of("server", DriverProcess.NFS_SERVER, "share", DriverProcess.NFS_SHARE,
                    "subDir", "${pv.metadata.name}", "csi.storage.k8s.io/pvc/namespace", "crash",
                    "csi.storage.k8s.io/pvc/name", name, "csi.storage.k8s.io/pv/name", name);
        }
        return Map.of("layout", layout);
    }

    /** The calls a run must have interrupted at least once, by the names the harness gives them. */
    Set<String> mustInterrupt() {
        Set<String> calls = new LinkedHashSet<>(List.of(CrashHarnessTest.CREATE, CrashHarnessTest.RESTORE,
                CrashHarnessTest.CLONE, "NodeStageVolume", "CreateSnapshot", "ControllerExpandVolume"));
        if (nodeExpands) {
            calls.add("NodeExpandVolume");
        }
        return calls;
    }

    /** The cases named in {@code -Dordinal.crash.layouts} (comma-separated labels), or all. */
    static List<CrashLayout> selected() {
        String wanted = System.getProperty("ordinal.crash.layouts", "").strip();
        if (wanted.isEmpty()) {
            return List.of(values());
        }
        Set<String> labels = Set.of(wanted.split("\\s*,\\s*"));
        List<CrashLayout> chosen = Arrays.stream(values()).filter(c -> labels.contains(c.label)).toList();
        if (chosen.size() != labels.size()) {
            throw new IllegalArgumentException("ordinal.crash.layouts=" + wanted + " names a layout that is not one of "
                    + Arrays.stream(values()).map(c -> c.label).toList());
        }
        return chosen;
    }

    @Override
    public String toString() {
        return label;
    }

    private static VolumeCapability multiWriter() {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER))
                .build();
    }
}
