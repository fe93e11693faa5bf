package dev.ordinal.driver.support;

import static org.awaitility.Awaitility.await;

import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.LoopDevices;
import dev.ordinal.driver.host.MountTable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A disk for the driver made from a sparse file: attached to a loop device, formatted, mounted under the
 * test's root. Closing unmounts and detaches it; a failure there is left for the TestRoot to report.
 */
public record LoopDisk(Path image, Path loop, Path mountPoint) implements AutoCloseable {

    public static LoopDisk make(TestRoot root, String name, long bytes, String... mkfs) {
        Path image = root.path().resolve(name + ".img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path loop = Path.of(Command.check("attach " + image, "losetup", "--find", "--show", "--",
                image.toString()).strip());
        List<String> argv = new ArrayList<>(List.of(mkfs));
        argv.add(loop.toString());
        Command.check("format " + loop, argv.toArray(String[]::new));
        Path mountPoint = root.dir("disks/" + name);
        Command.check("mount " + loop, "mount", "--", loop.toString(), mountPoint.toString());
        return new LoopDisk(image, loop, mountPoint);
    }

    @Override
    public void close() {
        if (MountTable.read().isMountPoint(mountPoint)) {
            Command.run("umount", "--", mountPoint.toString());
        }
        if (!MountTable.read().isMountPoint(mountPoint)) {
            Command.run("losetup", "--detach", loop.toString());
            await().atMost(Duration.ofSeconds(10)).until(() -> LoopDevices.backing(image).isEmpty());
        }
    }
}
