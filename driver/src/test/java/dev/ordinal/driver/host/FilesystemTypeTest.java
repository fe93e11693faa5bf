package dev.ordinal.driver.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.driver.support.LoopDisk;
import dev.ordinal.driver.support.TestRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The filesystem type a disk is logged and reported with (OrdinalNode status) is the one the kernel mounted, on real
 * loop disks: statfs would call ext4 "ext2/ext3", since the three share one magic number.
 */
class FilesystemTypeTest {

    private static final long MIB = 1024 * 1024;

    private TestRoot root;

    @BeforeEach
    void makeRoot() {
        root = TestRoot.create("filesystem-type");
    }

    @AfterEach
    void removeRoot() {
        root.close();
    }

    @Test
    void anExt4DiskIsExt4NotExt2OrExt3() throws Exception {
        try (LoopDisk disk = LoopDisk.make(root, "ext4", 64 * MIB, "mkfs.ext4", "-q", "-F")) {
            Path volumes = Files.createDirectories(disk.mountPoint().resolve("volumes"));
            assertEquals("ext4", Filesystems.typeOf(disk.mountPoint()));
            assertEquals("ext4", Filesystems.typeOf(volumes));
        }
    }

    @Test
    void aSymbolicLinkIsFollowedToTheDiskItPointsAt() throws Exception {
        try (LoopDisk disk = LoopDisk.make(root, "xfs", 300 * MIB, "mkfs.xfs", "-q", "-f")) {
            Path link = Files.createSymbolicLink(root.path().resolve("disk-link"), disk.mountPoint());
            assertEquals("xfs", Filesystems.typeOf(link));
        }
    }
}
