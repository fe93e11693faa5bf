package dev.ordinal.driver.nfs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a node remembers of the NFS volumes staged on it: the requested size (the soft limit that stats compare
 * usage with, raised by NodeExpandVolume) and the claim, for the over-size metric. One small properties file per
 * volume under {@code <ordinal.state-dir>/nfs/}, written atomically; loaded at start.
 */
final class NodeState {

    /** One staged volume. {@code capacityBytes} 0 means unknown (no volume_context): no over-size check. */
    record Staged(String volumeId, long capacityBytes, String claimNamespace, String claimName,
            String persistentVolume) {
        Staged withCapacity(long bytes) {
            return new Staged(volumeId, bytes, claimNamespace, claimName, persistentVolume);
        }
    }

    private final Path dir;
    private final ConcurrentHashMap<String, Staged> staged = new ConcurrentHashMap<>();

    NodeState(Path stateDir) {
        this.dir = stateDir.resolve("nfs");
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.properties")) {
                for (Path file : files) {
                    NfsMetadata.load(file).map(NodeState::fromProperties).ifPresent(s -> staged.put(s.volumeId(), s));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the NFS node state in " + dir + ": " + e.getMessage(), e);
            }
            // A write a crash cut short left its temporary file; the file it was replacing still stands.
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.properties.tmp")) {
                for (Path file : files) {
                    NfsMetadata.delete(file);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the NFS node state in " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    Optional<Staged> get(String volumeId) {
        return Optional.ofNullable(staged.get(volumeId));
    }

    List<Staged> all() {
        return List.copyOf(staged.values());
    }

    void put(Staged entry) {
        Properties p = new Properties();
        p.setProperty("volumeId", entry.volumeId());
        p.setProperty("capacityBytes", Long.toString(entry.capacityBytes()));
        p.setProperty("claim.namespace", entry.claimNamespace());
        p.setProperty("claim.name", entry.claimName());
        p.setProperty("persistentVolume", entry.persistentVolume());
        NfsMetadata.store(file(entry.volumeId()), p, "Ordinal: an NFS volume staged on this node");
        staged.put(entry.volumeId(), entry);
    }

    void remove(String volumeId) {
        NfsMetadata.delete(file(volumeId));
        staged.remove(volumeId);
    }

    private Path file(String volumeId) {
        return dir.resolve(NfsMetadata.fileName(volumeId));
    }

    private static Staged fromProperties(Properties p) {
        return new Staged(p.getProperty("volumeId", ""), Long.parseLong(p.getProperty("capacityBytes", "0")),
                p.getProperty("claim.namespace", ""), p.getProperty("claim.name", ""),
                p.getProperty("persistentVolume", ""));
    }
}
