package dev.ordinal.driver.nfs;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The durable metadata of NFS volumes and snapshots, as properties files on the export. Each is written atomically
 * (a temporary file, fsync, rename, fsync of the directory) and last, so a volume exists exactly when its file
 * does; the same helper writes the node's small state files.
 */
final class NfsMetadata {

    private static final String PARAM = "param.";

    private NfsMetadata() {
    }

    /** The file name of a volume's metadata: a hash of its CSI name, so a retried CreateVolume finds it. */
    static String fileName(String csiName) {
        return hash(csiName, 32) + ".properties";
    }

    static String hash(String text, int chars) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, chars);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static void write(Path file, NfsVolume volume) {
        Properties p = new Properties();
        p.setProperty("volumeId", volume.id().toString());
        p.setProperty("csiName", volume.csiName());
        p.setProperty("subDir", volume.id().subdir());
        p.setProperty("capacityBytes", Long.toString(volume.capacity().bytes()));
        p.setProperty("claim.namespace", volume.claim().namespace());
        p.setProperty("claim.name", volume.claim().name());
        p.setProperty("claim.persistentVolume", volume.claim().persistentVolume());
        p.setProperty("contentSource", volume.source().describe());
        p.setProperty("createdAt", volume.createdAt().toString());
        volume.parameters().forEach((k, v) -> p.setProperty(PARAM + k, v));
        volume.identity().ifPresent(identity -> identity.writeTo(p));
        store(file, p, "Ordinal NFS volume metadata; written by the driver, do not edit");
    }

    static Optional<NfsVolume> readVolume(Path file) {
        return load(file).map(p -> {
            try {
                Map<String, String> parameters = new HashMap<>();
                for (String key : p.stringPropertyNames()) {
                    if (key.startsWith(PARAM)) {
                        parameters.put(key.substring(PARAM.length()), p.getProperty(key));
                    }
                }
                return new NfsVolume(NfsVolumeId.parse(p.getProperty("volumeId"))
                        .orElseThrow(() -> new IllegalArgumentException("bad volumeId")),
                        p.getProperty("csiName"), Capacity.ofBytes(Long.parseLong(p.getProperty("capacityBytes"))),
                        parameters, new ClaimRef(p.getProperty("claim.namespace"), p.getProperty("claim.name"),
                                p.getProperty("claim.persistentVolume")),
                        ContentSource.parse(p.getProperty("contentSource", "")),
                        Instant.parse(p.getProperty("createdAt")), VolumeIdentity.readFrom(p));
            } catch (RuntimeException e) {
                throw new DriverError.Internal("NFS volume metadata " + file + " is damaged: " + e.getMessage(), e);
            }
        });
    }

    static void write(Path file, NfsSnapshot snapshot) {
        Properties p = new Properties();
        p.setProperty("snapshotId", snapshot.id().toString());
        p.setProperty("csiName", snapshot.csiName());
        p.setProperty("sourceVolumeId", snapshot.source().toString());
        p.setProperty("sizeBytes", Long.toString(snapshot.size().bytes()));
        p.setProperty("createdAt", snapshot.createdAt().toString());
        store(file, p, "Ordinal NFS snapshot metadata; written by the driver, do not edit");
    }

    static Optional<NfsSnapshot> readSnapshot(Path file) {
        return load(file).map(p -> {
            try {
                return new NfsSnapshot(NfsSnapshotId.parse(p.getProperty("snapshotId"))
                        .orElseThrow(() -> new IllegalArgumentException("bad snapshotId")),
                        p.getProperty("csiName"),
                        NfsVolumeId.parse(p.getProperty("sourceVolumeId"))
                                .orElseThrow(() -> new IllegalArgumentException("bad sourceVolumeId")),
                        Capacity.ofBytes(Long.parseLong(p.getProperty("sizeBytes"))),
                        Instant.parse(p.getProperty("createdAt")));
            } catch (RuntimeException e) {
                throw new DriverError.Internal("NFS snapshot metadata " + file + " is damaged: " + e.getMessage(), e);
            }
        });
    }

    static void store(Path file, Properties p, String comment) {
        try {
            Files.createDirectories(file.getParent());
            DurableFiles.writeProperties(file, p, comment);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static Optional<Properties> load(Path file) {
        try {
            return DurableFiles.readProperties(file);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Removes a metadata file durably; one that is gone already is fine. */
    static void delete(Path file) {
        try {
            if (Files.deleteIfExists(file)) {
                syncDirectory(file.getParent());
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + file + ": " + e.getMessage(), e);
        }
    }

    static void syncDirectory(Path dir) throws IOException {
        DurableFiles.syncDirectory(dir);
    }
}
