package dev.ordinal.driver.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Loop devices that expose an image file as a block device: attach, find again after a restart, detach. */
public final class LoopDevices {

    private LoopDevices() {
    }

    /** The loop devices currently backed by {@code image}, found from the kernel, not from memory. */
    public static List<Path> backing(Path image) {
        Command.Result result = Command.run("losetup", "--noheadings", "--output", "NAME", "--associated",
                image.toString());
        if (!result.ok()) {
            return List.of();
        }
        List<Path> devices = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            if (!line.isBlank()) {
                devices.add(Path.of(line.strip()));
            }
        }
        return devices;
    }

    /** Every loop device attached now, with its backing file, in one call (for recovery). */
    public static java.util.Map<Path, Path> all() {
        Command.Result result = Command.run("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE");
        java.util.Map<Path, Path> devices = new java.util.LinkedHashMap<>();
        if (!result.ok()) {
            return devices;
        }
        for (String line : result.stdout().split("\n")) {
            String[] fields = line.strip().split("\\s+", 2);
            if (fields.length == 2) {
                devices.put(Path.of(fields[0]), Path.of(fields[1].replaceFirst(" \\(deleted\\)$", "")));
            }
        }
        return devices;
    }

    /** Attaches {@code image}, or returns the device it is already attached to (so a retry never attaches twice). */
    public static Path attach(Path image) {
        Optional<Path> existing = backing(image).stream().findFirst();
        if (existing.isPresent()) {
            return existing.get();
        }
        String device = Command.check("attach of " + image + " to a loop device",
                "losetup", "--find", "--show", "--nooverlap", "--", image.toString());
        return Path.of(device.strip());
    }

    /** Detaches every loop device backed by {@code image}; nothing attached is not an error. */
    public static void detachAll(Path image) {
        for (Path device : backing(image)) {
            Command.Result result = Command.run("losetup", "--detach", device.toString());
            // A device that vanished between the lookup and the detach is exactly what we wanted.
            if (!result.ok() && !backing(image).isEmpty()) {
                throw new dev.ordinal.driver.error.DriverError.Internal(
                        "detach of " + device + " (backing " + image + ") failed: " + result.describe());
            }
        }
    }

    /** Makes the kernel re-read the size of the image behind {@code device} after the file grew. */
    public static void refreshSize(Path device) {
        Command.check("size refresh of " + device, "losetup", "--set-capacity", device.toString());
    }
}
