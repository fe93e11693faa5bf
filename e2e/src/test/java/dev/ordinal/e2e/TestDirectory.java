package dev.ordinal.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directory one test cluster owns under /tmp/ordinal-test (where hack/check-leftovers.sh looks): every node's
 * disks and kubelet paths live in it. Closing it unmounts whatever is still mounted under it (lazily, so that a
 * failed test does not leave mounts for the next one), removes it, and reports what it had to unmount: a test that
 * tears its Pods down properly leaves nothing.
 */
final class TestDirectory implements AutoCloseable {

    private static final Path BASE = Path.of("/tmp/ordinal-test");

    private final Path path;

    private TestDirectory(Path path) {
        this.path = path;
    }

    static TestDirectory create(String prefix) {
        try {
            Files.createDirectories(BASE);
            return new TestDirectory(Files.createTempDirectory(BASE, prefix + "-"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    Path path() {
        return path;
    }

    Path dir(String relative) {
        Path dir = path.resolve(relative);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return dir;
    }

    /** Mount points at or under this directory, deepest first (as /proc/self/mountinfo lists them). */
    List<Path> mounts() {
        List<Path> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path mountPoint = Path.of(unescape(fields[4]));
                    if (mountPoint.startsWith(path) && !found.contains(mountPoint)) {
                        found.add(mountPoint);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return found;
    }

    /** Unmounts and removes everything; returns the mounts that were still there (empty after a clean test). */
    List<Path> removeAll() {
        List<Path> left = mounts();
        for (Path mount : left) {
            run("umount", "-l", mount.toString());
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: hack/check-leftovers.sh reports anything that stays.
        }
        return left;
    }

    @Override
    public void close() {
        removeAll();
    }

    /** mountinfo writes space, tab, newline and backslash as \ooo (octal). */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            if (field.charAt(i) == '\\' && i + 3 < field.length()
                    && field.substring(i + 1, i + 4).chars().allMatch(c -> c >= '0' && c <= '7')) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(field.charAt(i));
            }
        }
        return out.toString();
    }

    private static void run(String... argv) {
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            process.waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
