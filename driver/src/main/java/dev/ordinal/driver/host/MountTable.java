package dev.ordinal.driver.host;

import dev.ordinal.driver.error.DriverError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's view of what is mounted where, read fresh from /proc/self/mountinfo on every call: it is the
 * only truth that survives a driver restart, so nothing about mounts is remembered anywhere else.
 */
public final class MountTable {

    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private final List<MountEntry> entries;

    private MountTable(List<MountEntry> entries) {
        this.entries = entries;
    }

    public static MountTable read() {
        try {
            return parse(Files.readAllLines(MOUNTINFO));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read " + MOUNTINFO + ": " + e.getMessage(), e);
        }
    }

    static MountTable parse(List<String> lines) {
        List<MountEntry> parsed = new ArrayList<>(lines.size());
        for (String line : lines) {
            // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
            String[] f = line.split(" ");
            if (f.length < 10) {
                continue;
            }
            int dash = 6;
            while (dash < f.length && !f[dash].equals("-")) {
                dash++;
            }
            if (dash + 2 >= f.length) {
                continue;
            }
            parsed.add(new MountEntry(f[0], f[2], unescape(f[3]), Path.of(unescape(f[4])), f[5], f[dash + 1],
                    unescape(f[dash + 2])));
        }
        return new MountTable(List.copyOf(parsed));
    }

    /** The entry visible at {@code mountPoint} (the last one when mounts are stacked), if it is a mount point. */
    public Optional<MountEntry> at(Path mountPoint) {
        Path wanted = mountPoint.toAbsolutePath().normalize();
        MountEntry found = null;
        for (MountEntry entry : entries) {
            if (entry.mountPoint().equals(wanted)) {
                found = entry;
            }
        }
        return Optional.ofNullable(found);
    }

    /** How many mounts are stacked at {@code mountPoint}. */
    public long mountsAt(Path mountPoint) {
        Path wanted = mountPoint.toAbsolutePath().normalize();
        return entries.stream().filter(e -> e.mountPoint().equals(wanted)).count();
    }

    public boolean isMountPoint(Path path) {
        return at(path).isPresent();
    }

    /**
     * The tree that {@code path} belongs to, expressed as (device, root) as a bind mount of it would show in
     * mountinfo: the filesystem mounted at the longest prefix of the path, plus the rest of the path.
     */
    public Optional<MountEntry> treeOf(Path path) {
        Path wanted = path.toAbsolutePath().normalize();
        MountEntry best = null;
        for (MountEntry entry : entries) {
            if (wanted.startsWith(entry.mountPoint())
                    && (best == null || entry.mountPoint().getNameCount() >= best.mountPoint().getNameCount())) {
                best = entry;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        Path rest = best.mountPoint().relativize(wanted);
        String root = rest.toString().isEmpty() ? best.root()
                : (best.root().endsWith("/") ? best.root() : best.root() + "/") + rest;
        return Optional.of(new MountEntry(best.id(), best.device(), root, wanted, best.options(), best.fsType(), best.source()));
    }

    /** Every mount point at which the directory {@code source} is visible through a bind mount. */
    public List<MountEntry> bindMountsOf(Path source) {
        Optional<MountEntry> tree = treeOf(source);
        if (tree.isEmpty()) {
            return List.of();
        }
        Path wanted = source.toAbsolutePath().normalize();
        return entries.stream()
                .filter(e -> e.sameTreeAs(tree.get()) && !e.mountPoint().equals(wanted))
                .toList();
    }

    /** Every mount that shows the same directory tree as {@code tree} (a stage, its publishes, their binds). */
    public List<MountEntry> showing(MountEntry tree) {
        return entries.stream().filter(e -> e.sameTreeAs(tree)).toList();
    }

    /** Every mount point whose source is the given device (a loop device, for an image volume). */
    public List<MountEntry> mountsOfDevice(Path device) {
        String wanted = device.toString();
        return entries.stream().filter(e -> e.source().equals(wanted)).toList();
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                String octal = s.substring(i + 1, i + 4);
                if (octal.chars().allMatch(ch -> ch >= '0' && ch <= '7')) {
                    out.append((char) Integer.parseInt(octal, 8));
                    i += 3;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
