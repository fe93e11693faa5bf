package dev.ordinal.driver.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A directory OUTSIDE every root the driver may use (not under /tmp/ordinal-test), with files and a subdirectory,
 * that hostile requests aim at: through '..', crafted ids, and symbolic links planted inside the roots. Closing it
 * proves that nothing in it changed (same entries, same content hashes) and that nothing was mounted in it.
 */
public final class Sentinel implements AutoCloseable {

    private final Path path;
    private final Map<String, String> before;

    private Sentinel(Path path) {
        this.path = path;
        this.before = fingerprint(path);
    }

    public static Sentinel create() {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "ordinal-sentinel-");
            Files.writeString(dir.resolve("passwd"), "root:x:0:0:do not touch\n");
            Files.createDirectories(dir.resolve("sub/deeper"));
            Files.write(dir.resolve("sub/data.bin"), new byte[] {0, 1, 2, 3, (byte) 0xff});
            Files.writeString(dir.resolve("sub/deeper/note"), "nested");
            Files.createDirectories(dir.resolve("empty"));
            return new Sentinel(dir);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path path() {
        return path;
    }

    /** Mount points visible now, to compare with those after a run (see {@link #assertNoNewMountsOutside}). */
    public static Set<Path> mountPoints() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" "))
                    .filter(f -> f.length > 4).map(f -> Path.of(TestRoot.unescape(f[4])))
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every mount point that appeared since {@code before} lies under {@code allowed}; none lies in the sentinel. */
    public void assertNoNewMountsOutside(Set<Path> before, Path allowed) {
        List<Path> escaped = mountPoints().stream()
                .filter(p -> !before.contains(p) && !p.startsWith(allowed) || p.startsWith(path))
                .sorted().toList();
        assertEquals(List.of(), escaped, "mounts made outside " + allowed + " (or inside the sentinel " + path + ")");
    }

    /** Fails when anything under the sentinel changed; removes it either way. */
    @Override
    public void close() {
        Map<String, String> after = fingerprint(path);
        // A mount that escaped into the sentinel is undone before the cleanup, which would otherwise walk into it.
        mountPoints().stream().filter(p -> p.startsWith(path)).sorted(Comparator.reverseOrder())
                .forEach(p -> dev.ordinal.driver.host.Command.run("umount", "-l", p.toString()));
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: the assertion is what matters.
        }
        assertEquals(before, after, "the sentinel directory " + path + " outside the roots changed");
    }

    /** Relative path -> "dir", "link -> target" or the SHA-256 of the file's content; links are not followed. */
    static Map<String, String> fingerprint(Path root) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                String key = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    out.put(key, "link -> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.put(key, "dir " + Files.getPosixFilePermissions(p));
                } else {
                    out.put(key, sha256(p) + " " + Files.getPosixFilePermissions(p));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(in.readAllBytes());
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
