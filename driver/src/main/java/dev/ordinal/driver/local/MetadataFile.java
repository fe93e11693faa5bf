package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * A volume's durable metadata, a properties file next to its data. It is written last when a volume is made and
 * replaced atomically (write a temporary file, fsync, rename, fsync the directory): a volume exists exactly when
 * this file does, so a crash at any point leaves either the old state or the new one.
 */
final class MetadataFile {

    private static final String PARAM = "param.";

    private MetadataFile() {
    }

    static void write(Path file, VolumeRecord record) {
        Properties p = new Properties();
        p.setProperty("volumeId", record.id().toString());
        p.setProperty("csiName", record.csiName());
        p.setProperty("layout", record.layout().wireName());
        p.setProperty("capacityBytes", Long.toString(record.capacity().bytes()));
        p.setProperty("block", Boolean.toString(record.block()));
        p.setProperty("fsType", record.fsType());
        p.setProperty("claim.namespace", record.claim().namespace());
        p.setProperty("claim.name", record.claim().name());
        p.setProperty("claim.persistentVolume", record.claim().persistentVolume());
        p.setProperty("contentSource", record.source().describe());
        p.setProperty("createdAt", record.createdAt().toString());
        record.parameters().forEach((k, v) -> p.setProperty(PARAM + k, v));
        record.identity().ifPresent(identity -> identity.writeTo(p));
        store(file, p, "Ordinal volume metadata; written by the driver, do not edit");
    }

    static void write(Path file, SnapshotRecord record) {
        Properties p = new Properties();
        p.setProperty("snapshotId", record.id().toString());
        p.setProperty("csiName", record.csiName());
        p.setProperty("sourceVolumeId", record.source().toString());
        p.setProperty("layout", record.layout().wireName());
        p.setProperty("sizeBytes", Long.toString(record.size().bytes()));
        p.setProperty("block", Boolean.toString(record.block()));
        p.setProperty("fsType", record.fsType());
        p.setProperty("createdAt", record.createdAt().toString());
        store(file, p, "Ordinal snapshot metadata; written by the driver, do not edit");
    }

    static Optional<SnapshotRecord> readSnapshot(Path file) {
        return load(file).map(p -> {
            try {
                return new SnapshotRecord(
                        SnapshotId.parse(p.getProperty("snapshotId"))
                                .orElseThrow(() -> new IllegalArgumentException("bad snapshotId")),
                        p.getProperty("csiName"),
                        VolumeId.parse(p.getProperty("sourceVolumeId"))
                                .orElseThrow(() -> new IllegalArgumentException("bad sourceVolumeId")),
                        Layout.parse(p.getProperty("layout")),
                        Capacity.ofBytes(Long.parseLong(p.getProperty("sizeBytes"))),
                        Boolean.parseBoolean(p.getProperty("block")), p.getProperty("fsType", ""),
                        Instant.parse(p.getProperty("createdAt")));
            } catch (RuntimeException e) {
                throw new DriverError.Internal("metadata " + file + " is damaged: " + e.getMessage(), e);
            }
        });
    }

    private static void store(Path file, Properties p, String comment) {
        try {
            DurableFiles.writeProperties(file, p, comment);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot write metadata " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Properties> load(Path file) {
        try {
            return DurableFiles.readProperties(file);
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read metadata " + file + ": " + e.getMessage(), e);
        }
    }

    static Optional<VolumeRecord> read(Path file) {
        Optional<Properties> loaded = load(file);
        if (loaded.isEmpty()) {
            return Optional.empty();
        }
        Properties p = loaded.get();
        try {
            Map<String, String> parameters = new HashMap<>();
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith(PARAM)) {
                    parameters.put(key.substring(PARAM.length()), p.getProperty(key));
                }
            }
            VolumeId id = VolumeId.parse(p.getProperty("volumeId"))
                    .orElseThrow(() -> new IllegalArgumentException("bad volumeId"));
            return Optional.of(new VolumeRecord(id, p.getProperty("csiName"), Layout.parse(p.getProperty("layout")),
                    Capacity.ofBytes(Long.parseLong(p.getProperty("capacityBytes"))),
                    Boolean.parseBoolean(p.getProperty("block")), p.getProperty("fsType", ""), parameters,
                    new ClaimRef(p.getProperty("claim.namespace"), p.getProperty("claim.name"),
                            p.getProperty("claim.persistentVolume")),
                    ContentSource.parse(p.getProperty("contentSource", "")),
                    Instant.parse(p.getProperty("createdAt")), VolumeIdentity.readFrom(p)));
        } catch (RuntimeException e) {
            throw new DriverError.Internal("metadata " + file + " is damaged: " + e.getMessage(), e);
        }
    }

    static void syncDirectory(Path dir) throws IOException {
        DurableFiles.syncDirectory(dir);
    }
}
