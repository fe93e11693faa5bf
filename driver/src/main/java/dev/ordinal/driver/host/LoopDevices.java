package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loop devices that expose an image file as a block device: attach (read-write, or read-only for a read-only
 * publish), find again after a restart, detach.
 *
 * <p>What is attached is read from sysfs ({@code /sys/block/loopN/loop/backing_file}), never by opening the
 * devices: {@code losetup --associated} and {@code --nooverlap} open every bound loop device to compare inodes,
 * and a device that another process holds open when its own detach comes is not detached at once but marked
 * "autoclear" and freed only at that process's last close. A driver that looked up one volume's devices while
 * another volume was unstaged so made the other's detach late, and its DeleteVolume, right after the unstage,
 * still saw the device (issue 14, item 7).
 */
public final class LoopDevices {

    private static final Path SYS_BLOCK = Path.of("/sys/block");
    /** How long a detach may wait for another process (udev's probe, a tool listing devices) to close the device. */
    static final Duration DETACH_WAIT = Duration.ofSeconds(10);

    private LoopDevices() {
    }

    /** The loop devices currently backed by {@code image}, found from the kernel, not from memory. */
    public static List<Path> backing(Path image) {
        List<String> names = namesOf(image);
        List<Path> devices = new ArrayList<>();
        all().forEach((device, file) -> {
            if (names.contains(file.toString())) {
                devices.add(device);
            }
        });
        return devices;
    }

    /** The read-write loop device backed by {@code image}: the one the volume is staged with. */
    public static Optional<Path> writable(Path image) {
        return backing(image).stream().filter(device -> !readOnly(device)).findFirst();
    }

    /** The read-only loop devices backed by {@code image}: those read-only block publishes bind. */
    public static List<Path> readOnlyDevices(Path image) {
        return backing(image).stream().filter(LoopDevices::readOnly).toList();
    }

    /** Whether the kernel refuses writes to {@code device} (attached with {@code --read-only}). */
    public static boolean readOnly(Path device) {
        return readSys(SYS_BLOCK.resolve(device.getFileName()).resolve("ro")).map("1"::equals).orElse(false);
    }

    /** Every loop device attached now, with its backing file (for recovery), in device order. */
    public static Map<Path, Path> all() {
        Map<Path, Path> devices = new LinkedHashMap<>();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
            dir.forEach(entries::add);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot list " + SYS_BLOCK + ": " + e.getMessage(), e);
        }
        entries.sort(Comparator.comparingInt(LoopDevices::number));
        for (Path entry : entries) {
            // The "loop" directory with its backing_file exists only while a file is bound.
            readSys(entry.resolve("loop/backing_file")).ifPresent(file -> devices.put(
                    Path.of("/dev").resolve(entry.getFileName()), Path.of(file.replaceFirst(" \\(deleted\\)$", ""))));
        }
        return devices;
    }

    /** Attaches {@code image} read-write, or returns the device it is already attached to (a retry attaches once). */
    public static Path attach(Path image) {
        Optional<Path> existing = writable(image);
        if (existing.isPresent()) {
            return existing.get();
        }
        // No --nooverlap: it would open every bound device (see the class comment), and the caller holds the
        // volume's lock, so no other attach of this image races with this one.
        String device = Command.check("attach of " + image + " to a loop device",
                "losetup", "--find", "--show", "--", image.toString());
        return Path.of(device.strip());
    }

    /**
     * Attaches {@code image} to a new read-only loop device, or returns the read-only device it already has.
     * The kernel refuses every write to such a device (EROFS/EPERM), whatever the caller opens it with.
     */
    public static Path attachReadOnly(Path image) {
        List<Path> existing = readOnlyDevices(image);
        if (!existing.isEmpty()) {
            return existing.get(0);
        }
        String device = Command.check("read-only attach of " + image + " to a loop device",
                "losetup", "--find", "--show", "--read-only", "--", image.toString());
        return Path.of(device.strip());
    }

    /** Detaches every loop device backed by {@code image}; nothing attached is not an error. */
    public static void detachAll(Path image) {
        for (Path device : backing(image)) {
            detach(device, image);
        }
    }

    /**
     * Detaches {@code device} from {@code image} and returns once the kernel has really let go of it. A device
     * another process holds open at that moment is only marked for release at that process's last close; waiting
     * for that here is what lets a DeleteVolume right after the unstage find the volume free. A device still bound
     * after {@link #DETACH_WAIT} is held by someone else for good: that is an error the caller retries.
     */
    public static void detach(Path device, Path image) {
        Command.Result result = Command.run("losetup", "--detach", device.toString());
        if (!result.ok() && backing(image).contains(device)) {
            throw new DriverError.Internal("detach of " + device + " (backing " + image + ") failed: "
                    + result.describe());
        }
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        long pause = 1;
        while (backing(image).contains(device)) {
            if (System.nanoTime() > deadline) {
                throw new DriverError.Internal("loop device " + device + " (backing " + image + ") is still held "
                        + "open by another process " + DETACH_WAIT.toSeconds() + " s after its detach; the kernel "
                        + "frees it at that process's last close, and a retry finds it gone");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DriverError.Internal("interrupted while waiting for the detach of " + device);
            }
            pause = Math.min(pause * 2, 50);
        }
    }

    /** Makes the kernel re-read the size of the image behind {@code device} after the file grew. */
    public static void refreshSize(Path device) {
        Command.check("size refresh of " + device, "losetup", "--set-capacity", device.toString());
    }

    /**
     * The names under which sysfs may show {@code image}: the kernel prints the path it resolved at attach time,
     * which differs from the one we hold when a directory above the disk is a symbolic link.
     */
    private static List<String> namesOf(Path image) {
        Path absolute = image.toAbsolutePath().normalize();
        List<String> names = new ArrayList<>(List.of(absolute.toString()));
        try {
            String real = absolute.toRealPath().toString();
            if (!names.contains(real)) {
                names.add(real);
            }
        } catch (IOException e) {
            // Gone already (a deleted image's device shows the old path): the absolute name is all there is.
        }
        return names;
    }

    private static int number(Path sysEntry) {
        try {
            return Integer.parseInt(sysEntry.getFileName().toString().substring("loop".length()));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static Optional<String> readSys(Path file) {
        try {
            String content = Files.readString(file);
            // sysfs ends each value with a newline; a path may itself end in spaces, so strip only that.
            return Optional.of(content.endsWith("\n") ? content.substring(0, content.length() - 1) : content);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // A device detached between the listing and the read: it is not bound now.
            return Optional.empty();
        }
    }
}
