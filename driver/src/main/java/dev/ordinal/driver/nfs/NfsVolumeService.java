package dev.ordinal.driver.nfs;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.volume.ClaimAdmission;
import dev.ordinal.driver.volume.VolumeLocks;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * The controller half of NFS volumes: a volume is a subdirectory of a configured export, worked on as a local path
 * (the controller's pod mounts each export as a standard {@code nfs:} volume). Metadata on the export is the
 * durable truth; the catalogs here are rebuilt from it at start. It speaks records only; the gRPC edge translates.
 */
public final class NfsVolumeService {

    private static final Logger LOG = Logger.getLogger(NfsVolumeService.class);
    static final String EXPORTS_SETTING = "ordinal.nfs.exports";
    /** Keys of the volume_context that CreateVolume returns and the node reads. */
    public static final String CONTEXT_CAPACITY = "capacityBytes";
    public static final String CONTEXT_CLAIM_NAMESPACE = "claimNamespace";
    public static final String CONTEXT_CLAIM_NAME = "claimName";
    /** The PersistentVolume's name, so the node can label its usage series as the kubelet would. */
    public static final String CONTEXT_PERSISTENT_VOLUME = "persistentVolume";
    private static final Set<String> NFS_FS_TYPES = Set.of("", "nfs", "nfs4");

    private final Map<NfsExport.Key, NfsExport> exports = new LinkedHashMap<>();
    private final VolumeLocks locks;
    private final Capacity defaultSize;
    private final Clock clock;
    private final ClaimAdmission admission;
    private final ConcurrentHashMap<String, NfsVolume> volumesByName = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, NfsVolume> volumesById = new ConcurrentSkipListMap<>();
    private final ConcurrentHashMap<String, NfsSnapshot> snapshotsByName = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, NfsSnapshot> snapshotsById = new ConcurrentSkipListMap<>();

    public NfsVolumeService(List<NfsExport> exports, VolumeLocks locks, Capacity defaultSize, Clock clock,
            ClaimAdmission admission) {
        this.admission = admission;
        exports.forEach(e -> this.exports.put(e.key(), e));
        this.locks = locks;
        this.defaultSize = defaultSize;
        this.clock = clock;
    }

    /** Loads every export's volumes and snapshots, and removes snapshots whose copy never finished. */
    public void recover() {
        for (NfsExport export : exports.values()) {
            if (!Files.isDirectory(export.local())) {
                throw new IllegalStateException("NFS export " + export.key() + " is not available at "
                        + export.local() + " (" + EXPORTS_SETTING + "): is it mounted?");
            }
            for (Path file : list(export.volumesMetadataDir())) {
                String name = file.getFileName().toString();
                if (name.endsWith(".properties")) {
                    NfsMetadata.readVolume(file).ifPresent(this::putVolume);
                } else if (name.endsWith(".tmp")) {
                    NfsMetadata.delete(file);
                }
            }
            for (Path dir : list(export.snapshotsDir())) {
                Optional<NfsSnapshot> snapshot = NfsMetadata.readSnapshot(dir.resolve("snapshot.properties"));
                if (snapshot.isPresent()) {
                    // A rewrite a crash cut short leaves its temporary file beside the metadata that still stands.
                    NfsMetadata.delete(dir.resolve("snapshot.properties.tmp"));
                    snapshotsByName.put(snapshot.get().csiName(), snapshot.get());
                    snapshotsById.put(snapshot.get().id().toString(), snapshot.get());
                } else {
                    LOG.infof("removing unfinished NFS snapshot %s", dir);
                    NfsStore.remove(dir);
                }
            }
        }
    }

    public NfsVolume create(String name, CapacityRange range, List<VolumeCapability> capabilities,
            Map<String, String> rawParameters, ContentSource source) {
        NfsParameters parameters = NfsParameters.parse(rawParameters);
        NfsExport export = export(parameters.export());
        capabilities.stream().map(this::refusal).flatMap(Optional::stream).findFirst().ifPresent(problem -> {
            throw new DriverError.InvalidArgument(problem);
        });
        Origin origin = originOf(source);
        Capacity size = sizeOf(range, origin.size());
        try (VolumeLocks.Held lock = locks.acquire(name, "CreateVolume")) {
            NfsVolume existing = volumesByName.get(name);
            if (existing != null) {
                return sameVolumeOrConflict(existing, name, range, parameters, source);
            }
            // The same rules as local volumes (a Released volume of the ordinal, ordered binding); an NFS volume
            // has no disk, so a placement the controller wrote is not for it.
            ClaimAdmission.Admitted admitted = admission.admit(parameters.claim(), parameters.orderedBinding());
            String subdir = parameters.subDir().expand(parameters.claim());
            NfsVolumeId id = new NfsVolumeId(parameters.export().server(), parameters.export().share(), subdir);
            NfsVolume owner = volumesById.get(id.toString());
            if (owner != null) {
                throw new DriverError.AlreadyExists("directory " + subdir + " on export " + export.key()
                        + " belongs to volume " + owner.csiName() + " (" + owner.claim() + "); volume " + name
                        + " cannot use it too");
            }
            try (VolumeLocks.Held idLock = locks.acquire(id.toString(), "CreateVolume " + name);
                    VolumeLocks.Held sourceLock = origin.lockKey().isEmpty() ? () -> { }
                            : locks.acquire(origin.lockKey(), "CreateVolume " + name + " from it")) {
                Path dir = NfsStore.inside(export, subdir, DriverError.InvalidArgument::new);
                if (origin.data().isEmpty()) {
                    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                        // Data follows the claim name: a directory left by a retained volume (or made by hand)
                        // that no live volume claims becomes this volume, as with csi-driver-nfs.
                        LOG.infof("volume=%s adopts the existing directory %s on %s", name, subdir, export.key());
                    }
                    NfsStore.createDirectories(dir);
                } else {
                    fill(export, name, dir, origin, source);
                }
                NfsVolume volume = new NfsVolume(id, name, size, parameters.defining(), parameters.claim(), source,
                        clock.instant(), admitted.identity());
                NfsMetadata.write(metadataFile(export, name), volume);
                NfsMetadata.delete(fillingFile(export, name));
                putVolume(volume);
                return volume;
            }
        }
    }

    /**
     * Copies a restore's or clone's data into a fresh directory. An intent file, written before the copy is
     * renamed into place, tells a retry after a crash that an existing directory is this copy, finished; any other
     * existing directory is refused, never overwritten or mixed with the copy.
     */
    private void fill(NfsExport export, String name, Path dir, Origin origin, ContentSource source) {
        Path intent = fillingFile(export, name);
        boolean ours = NfsMetadata.load(intent)
                .filter(p -> p.getProperty("path", "").equals(dir.toString())
                        && p.getProperty("contentSource", "").equals(source.describe()))
                .isPresent();
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            if (ours) {
                return;
            }
            throw new DriverError.AlreadyExists("directory " + dir + " already exists; a volume made from "
                    + source.describe() + " needs a new one (change the subDir template or remove the directory)");
        }
        Properties p = new Properties();
        p.setProperty("csiName", name);
        p.setProperty("path", dir.toString());
        p.setProperty("contentSource", source.describe());
        NfsMetadata.store(intent, p, "Ordinal: a restore or clone in progress");
        NfsStore.copyTree(origin.data().get(), dir);
    }

    /**
     * Deletes a volume by id. An id this driver never made is deleted already (OK, as the spec says); one of ours
     * on an export that is not configured is refused rather than forgotten, so no data is leaked.
     */
    public void delete(String rawId) {
        Optional<NfsVolumeId> parsed = NfsVolumeId.parse(rawId);
        if (parsed.isEmpty()) {
            return;
        }
        NfsVolumeId id = parsed.get();
        NfsExport export = exports.get(id.export());
        if (export == null) {
            throw new DriverError.FailedPrecondition("volume " + id + " lives on export " + id.export()
                    + ", which is not in " + EXPORTS_SETTING + " " + exports.keySet());
        }
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "DeleteVolume")) {
            NfsVolume volume = volumesById.get(id.toString());
            if (volume == null) {
                return;
            }
            Path dir = NfsStore.inside(export, id.subdir(), DriverError.FailedPrecondition::new);
            switch (volume.onDelete()) {
                case DELETE -> NfsStore.remove(dir);
                case RETAIN -> LOG.infof("volume=%s retained: %s stays on %s", id, id.subdir(), export.key());
                case ARCHIVE -> NfsStore.archive(dir, clock.instant()).ifPresent(to -> LOG.infof(
                        "volume=%s archived as %s", id, to));
            }
            // Dropped last: a crash before this leaves a volume that a retried DeleteVolume finishes.
            NfsMetadata.delete(metadataFile(export, volume.csiName()));
            volumesById.remove(id.toString());
            volumesByName.remove(volume.csiName(), volume);
        }
    }

    /** Raises the recorded size (a soft limit); the node learns it from NodeExpandVolume. */
    public Capacity expand(String rawId, CapacityRange range) {
        NfsVolume current = get(rawId);
        try (VolumeLocks.Held lock = locks.acquire(current.id().toString(), "ControllerExpandVolume")) {
            current = get(rawId);
            Capacity wanted = range.requiredBytes() == 0 ? current.capacity() : sizeOf(range, Capacity.ZERO);
            if (wanted.bytes() < current.capacity().bytes()) {
                throw new DriverError.OutOfRange("volume " + current.id() + " has " + current.capacity()
                        + "; volumes cannot shrink (asked " + range + ")");
            }
            if (wanted.bytes() > current.capacity().bytes()) {
                NfsVolume grown = current.withCapacity(wanted);
                NfsMetadata.write(metadataFile(export(current.id().export()), grown.csiName()), grown);
                putVolume(grown);
                return wanted;
            }
            return current.capacity();
        }
    }

    /** The volume behind an id, or NOT_FOUND naming it. */
    public NfsVolume get(String rawId) {
        NfsVolumeId id = NfsVolumeId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("volume " + rawId
                + " does not exist: it is not an NFS volume id this driver made (nfs#<server>#<share>#<subdir>)"));
        return Optional.ofNullable(volumesById.get(id.toString()))
                .orElseThrow(() -> new DriverError.NotFound("volume " + id + " does not exist"));
    }

    /** Which of the capabilities an NFS volume cannot serve, as a sentence; empty when it serves them all. */
    public Optional<String> unsupported(List<VolumeCapability> capabilities) {
        return capabilities.stream().map(this::refusal).flatMap(Optional::stream).findFirst();
    }

    private Optional<String> refusal(VolumeCapability capability) {
        if (capability.block()) {
            return Optional.of("NFS volumes are shared filesystems; block access is not supported");
        }
        if (!NFS_FS_TYPES.contains(capability.fsType())) {
            return Optional.of("NFS volumes have the server's filesystem; fsType " + capability.fsType()
                    + " cannot be chosen (leave it empty, or nfs)");
        }
        return Optional.empty();
    }

    /** Up to {@code max} volumes whose id sorts after {@code after} (null: from the start). */
    public List<NfsVolume> volumesAfter(String after, int max) {
        var view = after == null ? volumesById : volumesById.tailMap(after, false);
        return view.values().stream().limit(max).toList();
    }

    /** The free space of the export that the StorageClass parameters name. */
    public Capacity available(Map<String, String> rawParameters) {
        NfsExport export = export(NfsParameters.parse(rawParameters).export());
        return Capacity.ofBytes(Filesystems.stats(export.local()).availableBytes());
    }

    public int volumeCount() {
        return volumesById.size();
    }

    /** What CreateVolume tells the node: the size (the node reports use beyond it) and how to mount. */
    public static Map<String, String> volumeContext(NfsVolume volume) {
        Map<String, String> context = new TreeMap<>();
        context.put(CONTEXT_CAPACITY, Long.toString(volume.capacity().bytes()));
        context.put(NfsParameters.SERVER, volume.id().server());
        context.put(NfsParameters.SHARE, volume.id().share());
        context.put(NfsParameters.SUB_DIR, volume.id().subdir());
        if (!volume.mountOptions().isEmpty()) {
            context.put(NfsParameters.MOUNT_OPTIONS, String.join(",", volume.mountOptions()));
        }
        if (volume.claim().known()) {
            context.put(CONTEXT_CLAIM_NAMESPACE, volume.claim().namespace());
            context.put(CONTEXT_CLAIM_NAME, volume.claim().name());
        }
        if (!volume.claim().persistentVolume().isEmpty()) {
            context.put(CONTEXT_PERSISTENT_VOLUME, volume.claim().persistentVolume());
        }
        volume.identity().ifPresent(identity -> context.putAll(identity.context()));
        return context;
    }

    // Snapshots.

    public NfsSnapshot createSnapshot(String name, String sourceVolumeId) {
        try (VolumeLocks.Held lock = locks.acquire("snapshot/" + name, "CreateSnapshot")) {
            NfsSnapshot existing = snapshotsByName.get(name);
            if (existing != null) {
                if (existing.source().toString().equals(sourceVolumeId)) {
                    return existing;
                }
                throw new DriverError.AlreadyExists("snapshot " + name + " exists of volume " + existing.source()
                        + ", not of " + sourceVolumeId);
            }
            NfsVolume source = get(sourceVolumeId);
            // The source must not be deleted while it is copied.
            try (VolumeLocks.Held sourceLock = locks.acquire(source.id().toString(), "CreateSnapshot " + name)) {
                NfsExport export = export(source.id().export());
                Path from = NfsStore.inside(export, source.id().subdir(), DriverError.FailedPrecondition::new);
                NfsSnapshotId id = new NfsSnapshotId(source.id().server(), source.id().share(),
                        NfsStore.directoryName(name));
                Path dir = export.snapshotsDir().resolve(id.name());
                NfsStore.copyTree(from, dir.resolve("data"));
                NfsSnapshot snapshot = new NfsSnapshot(id, name, source.id(), source.capacity(), clock.instant());
                NfsMetadata.write(dir.resolve("snapshot.properties"), snapshot);
                snapshotsByName.put(name, snapshot);
                snapshotsById.put(id.toString(), snapshot);
                return snapshot;
            }
        }
    }

    /** Deletes a snapshot by id; one this driver never made, or already deleted, is OK. */
    public void deleteSnapshot(String rawId) {
        Optional<NfsSnapshotId> id = NfsSnapshotId.parse(rawId);
        if (id.isEmpty()) {
            return;
        }
        try (VolumeLocks.Held lock = locks.acquire(id.get().toString(), "DeleteSnapshot")) {
            NfsSnapshot snapshot = snapshotsById.get(id.get().toString());
            if (snapshot == null) {
                return;
            }
            Path dir = export(id.get().export()).snapshotsDir().resolve(id.get().name());
            // Metadata first: a crash then leaves a directory without it, which the next start removes.
            NfsMetadata.delete(dir.resolve("snapshot.properties"));
            NfsStore.remove(dir);
            snapshotsById.remove(id.get().toString());
            snapshotsByName.remove(snapshot.csiName(), snapshot);
        }
    }

    public Optional<NfsSnapshot> snapshot(String rawId) {
        return Optional.ofNullable(snapshotsById.get(rawId));
    }

    /** Up to {@code max} snapshots that pass {@code filter}, with ids after {@code after} (null: from the start). */
    public List<NfsSnapshot> snapshotsAfter(String after, int max, Predicate<NfsSnapshot> filter) {
        var view = after == null ? snapshotsById : snapshotsById.tailMap(after, false);
        return view.values().stream().filter(filter).limit(max).toList();
    }

    // Helpers.

    private NfsExport export(NfsExport.Key key) {
        NfsExport export = exports.get(key);
        if (export == null) {
            throw new DriverError.InvalidArgument("NFS export " + key + " is not configured: add it to "
                    + EXPORTS_SETTING + " as " + key + "=/path/where/the/controller/sees/it"
                    + (exports.isEmpty() ? " (no exports are configured)" : " (configured: " + exports.keySet() + ")"));
        }
        return export;
    }

    /** What a new volume is made from: nothing, or the data of a snapshot or volume, and its size. */
    private record Origin(Optional<Path> data, Capacity size, String lockKey) {
    }

    private Origin originOf(ContentSource source) {
        return switch (source) {
            case ContentSource.Empty empty -> new Origin(Optional.empty(), Capacity.ZERO, "");
            case ContentSource.FromSnapshot s -> {
                if (NfsSnapshotId.parse(s.snapshotId()).isEmpty()) {
                    throw new DriverError.InvalidArgument("snapshot " + s.snapshotId() + " is not an NFS snapshot; "
                            + "an NFS volume can be restored only from an NFS snapshot (" + NfsSnapshotId.PREFIX
                            + "...)");
                }
                NfsSnapshot snapshot = snapshot(s.snapshotId()).orElseThrow(() -> new DriverError.NotFound(
                        "snapshot " + s.snapshotId() + " does not exist"));
                Path data = export(snapshot.id().export()).snapshotsDir().resolve(snapshot.id().name())
                        .resolve("data");
                yield new Origin(Optional.of(data), snapshot.size(), snapshot.id().toString());
            }
            case ContentSource.FromVolume v -> {
                if (NfsVolumeId.parse(v.volumeId()).isEmpty()) {
                    throw new DriverError.InvalidArgument("volume " + v.volumeId() + " is not an NFS volume; an "
                            + "NFS volume can be cloned only from an NFS volume");
                }
                NfsVolume volume = get(v.volumeId());
                Path data = NfsStore.inside(export(volume.id().export()), volume.id().subdir(),
                        DriverError.FailedPrecondition::new);
                yield new Origin(Optional.of(data), volume.capacity(), volume.id().toString());
            }
        };
    }

    /**
     * The size a volume gets: what is asked (any byte count: nothing is formatted, so nothing is rounded), the
     * default when nothing is asked, never less than the source held.
     */
    private Capacity sizeOf(CapacityRange range, Capacity floor) {
        long required = range.requiredBytes();
        long limit = range.limitBytes();
        range.requireValid();
        long wanted = required != 0 ? required : Math.max(defaultSize.bytes(), floor.bytes());
        if (limit != 0) {
            wanted = Math.min(wanted, limit);
        }
        if (wanted < floor.bytes()) {
            throw new DriverError.OutOfRange("the source holds " + floor + "; a volume made from it cannot be "
                    + "smaller (asked " + range + ")");
        }
        return Capacity.ofBytes(wanted);
    }

    private NfsVolume sameVolumeOrConflict(NfsVolume existing, String name, CapacityRange range,
            NfsParameters parameters, ContentSource source) {
        if (!range.admits(existing.capacity().bytes())) {
            throw new DriverError.AlreadyExists("volume " + name + " exists with " + existing.capacity()
                    + ", outside the requested " + range);
        }
        if (!existing.parameters().equals(parameters.defining())) {
            throw new DriverError.AlreadyExists("volume " + name + " exists with parameters " + existing.parameters()
                    + ", not " + parameters.defining());
        }
        if (!existing.source().equals(source)) {
            throw new DriverError.AlreadyExists("volume " + name + " exists "
                    + (existing.source().describe().isEmpty() ? "empty" : "from " + existing.source().describe())
                    + ", not " + (source.describe().isEmpty() ? "empty" : "from " + source.describe()));
        }
        return existing;
    }

    private void putVolume(NfsVolume volume) {
        NfsVolume before = volumesByName.put(volume.csiName(), volume);
        if (before != null && !before.id().equals(volume.id())) {
            LOG.warnf("two NFS volumes carry the name %s: %s and %s; the second wins", volume.csiName(),
                    before.id(), volume.id());
        }
        volumesById.put(volume.id().toString(), volume);
    }

    private static Path metadataFile(NfsExport export, String csiName) {
        return export.volumesMetadataDir().resolve(NfsMetadata.fileName(csiName));
    }

    private static Path fillingFile(NfsExport export, String csiName) {
        return export.fillingDir().resolve(NfsMetadata.fileName(csiName));
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            List<Path> out = new java.util.ArrayList<>();
            entries.forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new DriverError.Internal("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
