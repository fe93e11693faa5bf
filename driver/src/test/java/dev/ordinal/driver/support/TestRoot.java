package dev.ordinal.driver.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ordinal.driver.host.Command;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A directory that a test owns: its disks, staging and target paths all live under it. Closing it proves that
 * the test left no mount and no loop device behind (and only then removes the directory), so every test class
 * checks the promise that nothing outlives the volumes it made.
 */
public final class TestRoot implements AutoCloseable {

    private final Path path;

    private TestRoot(Path path) {
        this.path = path;
    }

    public static TestRoot create(String name) {
        try {
            Path base = Path.of("/tmp/ordinal-test");
            Files.createDirectories(base);
            return new TestRoot(Files.createTempDirectory(base, name + "-"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path path() {
        return path;
    }

    public Path dir(String relative) {
        Path dir = path.resolve(relative);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return dir;
    }

    /** Mount points under this root, deepest first. */
    public List<Path> mounts() {
        List<Path> found = new ArrayList<>();
        MountTable table = MountTable.read();
        for (Path candidate : candidates()) {
            table.at(candidate).map(MountEntry::mountPoint).ifPresent(found::add);
        }
        return found;
    }

    /** Loop devices whose backing file is under this root. */
    public List<String> loopDevices() {
        Command.Result result = Command.run("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE");
        List<String> found = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            String[] f = line.strip().split("\\s+", 2);
            if (f.length == 2 && f[1].startsWith(path.toString())) {
                found.add(f[0] + " " + f[1]);
            }
        }
        return found;
    }

    /** Fails when anything the test made is still mounted or attached; cleans up either way. */
    @Override
    public void close() {
        List<Path> leftMounts = mounts();
        List<String> leftLoops = loopDevices();
        for (Path mount : leftMounts) {
            Command.run("umount", "-l", mount.toString());
        }
        for (String loop : leftLoops) {
            Command.run("losetup", "-d", loop.split(" ")[0]);
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: the assertions below are what matter.
        }
        assertEquals(List.of(), leftMounts, "mounts left behind under " + path);
        assertEquals(List.of(), leftLoops, "loop devices left behind for files under " + path);
    }

    private List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        for (String line : readMountinfo()) {
            String[] f = line.split(" ");
            if (f.length > 4) {
                Path mountPoint = Path.of(unescape(f[4]));
                if (mountPoint.startsWith(path)) {
                    out.add(mountPoint);
                }
            }
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out.stream().distinct().toList();
    }

    /** mountinfo writes space, tab, newline and backslash as \\ooo (octal); a path may hold any of them. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            if (field.charAt(i) == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4)
                    .chars().allMatch(c -> c >= '0' && c <= '7')) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(field.charAt(i));
            }
        }
        return out.toString();
    }

    private static List<String> readMountinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
