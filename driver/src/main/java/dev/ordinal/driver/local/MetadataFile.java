package dev.ordinal.driver.local;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.DurableFiles;
import dev.ordinal.driver.host.GroupCommit;
import dev.ordinal.driver.model.ClaimRef;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * A volume's durable metadata, a properties file next to its data: a volume exists exactly when this file does
 * and is whole.
 *
 * <p>The file is sealed: a first line saying so and a last line with the CRC-32C of everything before it. A new
 * volume's file is written in place ({@link #writeNew}) and made durable with the volume's directories just
 * before CreateVolume answers (no temporary file, no rename, no fsync before it is complete); a crash before that
 * may leave it missing, empty, cut short or zeros, and such a file ({@link Contents#TORN}) is read as no metadata
 * at all: a creation that never finished and was never acknowledged, which recovery removes. A rewrite (an
 * expansion) replaces the file atomically (temporary file, fsync, rename, fsync of the directory), so an
 * acknowledged volume's file is never torn. A sealed file whose seal does not match is damaged, not torn, and is
 * refused as before. Files from drivers before the seal (no first line) are read as they are: they were only
 * ever replaced atomically.
 */
final class MetadataFile {

    private static final String PARAM = "param.";
    /** The first line of a sealed file. */
    static final String HEADER = "#ordinal sealed metadata\n";
    /** The last line's key: the CRC-32C (8 hex digits) of the bytes before that line. */
    static final String SEAL = "sealed=";

    private MetadataFile() {
    }

    /** Replaces a volume's metadata atomically (an expansion). */
    static void write(Path file, VolumeRecord record) {
        store(file, properties(record), VOLUME_COMMENT);
    }

    /**
     * Writes a new volume's metadata in place, not yet durable: the caller forces it (and the directories that
     * name it) before acknowledging the volume. A file already there (a retried creation of this process) is
     * replaced atomically instead, since it may be whole.
     */
    static void writeNew(Path file, VolumeRecord record) {
        Properties p = properties(record);
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            store(file, p, VOLUME_COMMENT);
            return;
        }
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(sealed(p, VOLUME_COMMENT));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot write metadata " + file + ": " + e.getMessage(), e);
        }
    }

    private static final String VOLUME_COMMENT = "Ordinal volume metadata; written by the driver, do not edit";

    private static Properties properties(VolumeRecord record) {
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
        return p;
    }

    /** When a held volume was deleted and when it may be purged, as the hold record keeps them. */
    record Hold(Instant heldAt, Instant purgeAt) {
    }

    /** Writes a hold record atomically: it is durable (file and directory) when this returns. */
    static void writeHold(Path file, Hold hold) {
        Properties p = new Properties();
        p.setProperty("heldAt", hold.heldAt().toString());
        p.setProperty("purgeAt", hold.purgeAt().toString());
        store(file, p, "Ordinal hold: the volume was deleted and waits here for its ordinal; do not edit");
    }

    /** The hold record, or empty when there is none (or it is torn); INTERNAL when it is damaged. */
    static Optional<Hold> readHold(Path file) {
        return load(file).map(p -> {
            try {
                return new Hold(Instant.parse(p.getProperty("heldAt")), Instant.parse(p.getProperty("purgeAt")));
            } catch (RuntimeException e) {
                throw new DriverError.Internal("hold record " + file + " is damaged: " + e.getMessage(), e);
            }
        });
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
            DurableFiles.writeAtomically(file, sealed(p, comment));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot write metadata " + file + ": " + e.getMessage(), e);
        }
    }

    /** The header, the properties and the seal over both. */
    static byte[] sealed(Properties p, String comment) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(512);
        bytes.writeBytes(HEADER.getBytes(StandardCharsets.ISO_8859_1));
        try {
            p.store(bytes, comment);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String seal = SEAL + String.format("%08x", crc(bytes.toByteArray(), bytes.size())) + "\n";
        bytes.writeBytes(seal.getBytes(StandardCharsets.ISO_8859_1));
        return bytes.toByteArray();
    }

    private static long crc(byte[] bytes, int length) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    /** What a metadata file's bytes are. */
    enum Contents {
        /** Sealed and whole, or from a driver before the seal. */
        WHOLE,
        /** A new volume's file cut short by a crash before it was durable: no metadata. */
        TORN,
        /** Sealed, but the seal does not match what it covers. */
        DAMAGED;

        static Contents of(byte[] content) {
            byte[] header = HEADER.getBytes(StandardCharsets.ISO_8859_1);
            if (content.length < header.length) {
                // Empty, or the start of the header: the write had not got further.
                return java.util.Arrays.equals(content, 0, content.length, header, 0, content.length)
                        || allZero(content) ? TORN : WHOLE;
            }
            if (!java.util.Arrays.equals(content, 0, header.length, header, 0, header.length)) {
                // Blocks allocated but never written read as zeros; anything else predates the seal.
                return allZero(content) ? TORN : WHOLE;
            }
            int end = content.length;
            int lastLine = lastLineStart(content);
            String last = new String(content, lastLine, end - lastLine, StandardCharsets.ISO_8859_1);
            if (!last.matches(SEAL + "[0-9a-f]{8}\n")) {
                return TORN;
            }
            long expected = Long.parseLong(last.substring(SEAL.length(), SEAL.length() + 8), 16);
            return crc(content, lastLine) == expected ? WHOLE : DAMAGED;
        }

        private static int lastLineStart(byte[] content) {
            int i = content.length - 2;
            while (i >= 0 && content[i] != '\n') {
                i--;
            }
            return i + 1;
        }

        private static boolean allZero(byte[] content) {
            for (byte b : content) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The properties of a whole file; empty when there is none or it is torn; INTERNAL when it is damaged. */
    private static Optional<Properties> load(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read metadata " + file + ": " + e.getMessage(), e);
        }
        switch (Contents.of(content)) {
            case TORN:
                return Optional.empty();
            case DAMAGED:
                throw new DriverError.Internal("metadata " + file + " is damaged: its seal does not match its "
                        + "contents; restore it from a backup or remove the volume's directory by hand");
            default:
                break;
        }
        Properties properties = new Properties();
        try {
            properties.load(new java.io.StringReader(new String(content, StandardCharsets.ISO_8859_1)));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot read metadata " + file + ": " + e.getMessage(), e);
        }
        properties.remove(SEAL.substring(0, SEAL.length() - 1));
        return Optional.of(properties);
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

    /** Makes a directory that concurrent calls change durable, in one pass for all of them ({@link GroupCommit}). */
    static void force(List<Path> paths) throws IOException {
        GroupCommit.SHARED.force(paths);
    }

    static void syncFile(Path file) throws IOException {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }
}
