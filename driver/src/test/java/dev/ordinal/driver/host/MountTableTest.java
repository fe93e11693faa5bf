package dev.ordinal.driver.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading /proc/self/mountinfo the way the kernel writes it, including the escapes and stacked mounts. */
class MountTableTest {

    private static final List<String> LINES = List.of(
            "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            "40 22 7:0 / /mnt/disk\\040one rw,noatime shared:20 - btrfs /dev/loop0 rw,space_cache=v2",
            "41 22 254:0 /mnt/disk\\040one/volumes/v1/data /var/lib/kubelet/staging/v1 rw,relatime - ext4 /dev/vda rw",
            "42 40 7:0 /volumes/v2/data /var/lib/kubelet/pods/p/v2 ro,relatime master:3 - btrfs /dev/loop0 rw",
            "43 22 254:0 / /var/lib/kubelet/pods/p/v2 rw - ext4 /dev/vda rw");

    @Test
    void decodesEscapedMountPointsAndOptionalFields() {
        MountTable table = MountTable.parse(LINES);
        MountEntry disk = table.at(Path.of("/mnt/disk one")).orElseThrow();
        assertEquals("btrfs", disk.fsType());
        assertEquals("/dev/loop0", disk.source());
        assertTrue(table.isMountPoint(Path.of("/var/lib/kubelet/staging/v1")));
    }

    @Test
    void theLastOfStackedMountsIsTheVisibleOne() {
        MountTable table = MountTable.parse(LINES);
        assertEquals("ext4", table.at(Path.of("/var/lib/kubelet/pods/p/v2")).orElseThrow().fsType());
        assertEquals(2, table.mountsAt(Path.of("/var/lib/kubelet/pods/p/v2")));
    }

    @Test
    void findsBindMountsOfADirectoryWhereverTheyAre() {
        MountTable table = MountTable.parse(LINES);
        // v2's data lives on the btrfs disk: its bind mount shows root /volumes/v2/data of device 7:0.
        List<MountEntry> binds = table.bindMountsOf(Path.of("/mnt/disk one/volumes/v2/data"));
        assertEquals(List.of(Path.of("/var/lib/kubelet/pods/p/v2")), binds.stream().map(MountEntry::mountPoint)
                .toList());
        assertTrue(binds.get(0).readOnly());
        assertEquals(List.of(), table.bindMountsOf(Path.of("/mnt/disk one/volumes/v3/data")));
    }
}
