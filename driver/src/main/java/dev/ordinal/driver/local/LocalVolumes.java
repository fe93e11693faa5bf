package dev.ordinal.driver.local;

import dev.ordinal.driver.host.Trees;
import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.allocator.model.DiskName;
import dev.ordinal.allocator.model.Layout;
import dev.ordinal.allocator.model.NodeName;
import dev.ordinal.allocator.model.Placement;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.model.HeldVolume;
import dev.ordinal.driver.model.SnapshotId;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.store.VolumeStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The volumes on this node's disks, as files: make, remove, read back. A volume is a directory
 * {@code <disk>/volumes/<name>} holding its metadata and its data; the metadata is written last, so a directory
 * without it is a creation that never finished and was never acknowledged.
 */
public final class LocalVolumes implements VolumeStore {

    private static final Logger LOG = Logger.getLogger(LocalVolumes.class);
    /** Prefix of a volume directory whose deletion has begun; the rename makes the deletion's start atomic. */
    static final String DELETING = ".deleting-";

    private final NodeName node;
    private final Map<DiskName, LocalDisk> disks;
    private volatile OrphanListener orphans = OrphanListener.NONE;

    public LocalVolumes(NodeName node, List<LocalDisk> disks) {
        this.node = node;
        Map<DiskName, LocalDisk> byName = new LinkedHashMap<>();
        disks.forEach(d -> byName.put(d.name(), d));
        this.disks = java.util.Collections.unmodifiableMap(byName);
    }

    public NodeName node() {
        return node;
    }

    public List<LocalDisk> disks() {
        return List.copyOf(disks.values());
    }

    /** Who hears about the orphans recovery and the leak check find (metrics); set before recovery runs. */
    public void onOrphans(OrphanListener listener) {
        this.orphans = listener;
    }

    /** Tells the listener how many unreferenced volumes and snapshots a node agent's leak check sees on a disk. */
    public void unreferenced(DiskName disk, int count) {
        orphans.unreferenced(disk, count);
    }

    /** Tells the listener how many volumes and snapshots on a disk a node agent keeps against their resource's deletion. */
    public void deletionsRefused(DiskName disk, int count) {
        orphans.deletionsRefused(disk, count);
    }

    /**
     * The symbolic links in the disk's volumes and snapshots directories now: the driver never makes one, and
     * recovery leaves them for an operator, so they are counted where they are (a directory listing, no link is
     * followed) until one removes them.
     */
    public int foreignLinks(DiskName name) {
        LocalDisk disk = disks.get(name);
        if (disk == null) {
            return 0;
        }
        int links = 0;
        for (Path dir : List.of(disk.volumesDir(), disk.snapshotsDir())) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    if (Files.isSymbolicLink(entry)) {
                        links++;
                    }
                }
            } catch (IOException e) {
                LOG.debugf("cannot count links in %s: %s", dir, e.getMessage());
            }
        }
        return links;
    }

    public Optional<LocalDisk> disk(DiskName name) {
        return Optional.ofNullable(disks.get(name));
    }

    /**
     * Finishes what a crash interrupted (deletions begun, creations never acknowledged) and returns every volume
     * that exists. Runs before the socket serves, so nothing races with it.
     */
    @Override
    public List<VolumeRecord> recover() {
        List<VolumeRecord> found = new ArrayList<>();
        for (LocalDisk disk : disks.values()) {
            finishMovesBetweenVolumesAndHeld(disk);
            List<VolumeRecord> volumes = sweep(disk, disk.volumesDir(), files -> MetadataFile.read(files.metadata()),
                    true);
            found.addAll(volumes);
            volumes.stream().filter(v -> v.layout() == Layout.IMAGE)
                    .forEach(v -> ImageStore.reserveLeftSparse(files(v.id()), v.capacity().bytes()));
            ImageStore.thawLeftFrozen(disk.volumesDir());
            ImageStore.releaseLeftReadOnly(disk.volumesDir());
        }
        return found;
    }

    /**
     * Finishes what a crash left between {@code volumes/} and {@code held/}. The hold record says which way a move
     * was going: it is written before a volume moves into {@code held/} and removed before it moves back. So a
     * volume in {@code volumes/} with a whole hold record was being held (DeleteVolume had begun: the move is
     * finished), one in {@code held/} without it was being returned (CreateVolume had begun: the move back is
     * finished), and a {@code .deleting-} entry in {@code held/} was being purged (the purge is finished). A torn
     * hold record in {@code volumes/} (a crash while writing it) is removed: the volume stays, and the CO's retried
     * DeleteVolume holds it again. Nothing is copied and nothing is lost either way.
     */
    private void finishMovesBetweenVolumesAndHeld(LocalDisk disk) {
        for (Path entry : entries(disk.volumesDir())) {
            VolumeFiles files = new VolumeFiles(entry);
            removeTemporary(files.hold());
            if (!Files.exists(files.hold(), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (MetadataFile.readHold(files.hold()).isPresent()) {
                LOG.infof("recovery disk=%s finishing interrupted hold of %s", disk.name(), entry);
                move(entry, disk.heldDir().resolve(entry.getFileName()));
            } else {
                LOG.infof("recovery disk=%s removing the torn hold record of %s: the volume stays", disk.name(),
                        entry);
                deleteDurably(files.hold());
            }
        }
        for (Path entry : entries(disk.heldDir())) {
            String name = entry.getFileName().toString();
            if (name.startsWith(DELETING)) {
                LOG.infof("recovery disk=%s finishing interrupted purge of %s", disk.name(), entry);
                orphans.recovered(disk.name(), OrphanListener.Leftover.INTERRUPTED_DELETION);
                destroy(new VolumeFiles(entry));
                continue;
            }
            VolumeFiles files = new VolumeFiles(entry);
            removeTemporary(files.hold());
            removeInterruptedRewrite(files);
            if (MetadataFile.readHold(files.hold()).isEmpty()) {
                LOG.infof("recovery disk=%s finishing interrupted return of held volume %s", disk.name(), entry);
                move(entry, disk.volumesDir().resolve(entry.getFileName()));
            }
        }
    }

    /** The entries of a directory that the driver may have made: never a symbolic link, never a foreign name. */
    private static List<Path> entries(Path dir) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path entry : stream) {
                String name = entry.getFileName().toString();
                boolean named = VolumeId.NAME.matcher(name).matches()
                        || (name.startsWith(DELETING) && VolumeId.NAME.matcher(name.substring(DELETING.length()))
                                .matches());
                if (named && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    found.add(entry);
                }
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot scan " + dir + ": " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * Renames a volume's directory between {@code volumes/} and {@code held/} of one disk, durably: both
     * directories are forced, so that after a power loss the volume is in exactly one of them. One already at its
     * target (a retry) is fine.
     */
    private static void move(Path from, Path to) {
        try {
            if (!Files.exists(from, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
                throw new DriverError.Internal("cannot move " + from + " to " + to + ": the target exists");
            }
            if (!Files.isDirectory(to.getParent())) {
                Files.createDirectories(to.getParent());
                MetadataFile.syncDirectory(to.getParent().getParent());
            }
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            MetadataFile.force(List.of(to.getParent(), from.getParent()));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    private static void removeTemporary(Path file) {
        try {
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".tmp"));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove a temporary file beside " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteDurably(Path file) {
        try {
            Files.deleteIfExists(file);
            MetadataFile.syncDirectory(file.getParent());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean holdsDeleted() {
        return true;
    }

    /**
     * Holds a deleted volume: the hold record is written (durably) inside the volume's directory, then the directory
     * is renamed into the disk's {@code held/}. A crash between the two leaves a volume in {@code volumes/} with a
     * whole hold record, which recovery moves on ({@link #finishMovesBetweenVolumesAndHeld}).
     */
    @Override
    public HeldVolume hold(VolumeRecord record, java.time.Instant heldAt, java.time.Instant purgeAt) {
        VolumeFiles files = files(record.id());
        VolumeFiles held = heldFiles(record.id());
        if (!Files.exists(files.dir(), LinkOption.NOFOLLOW_LINKS)) {
            Optional<MetadataFile.Hold> already = MetadataFile.readHold(held.hold());
            if (already.isPresent()) {
                return new HeldVolume(record, already.get().heldAt(), already.get().purgeAt());
            }
            throw new DriverError.NotFound("volume " + record.id() + " is neither on its disk nor held");
        }
        if (LayoutStore.of(record.layout()).inUse(files, MountTable.read())) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " is still staged or published on "
                    + node + "; unpublish and unstage it first");
        }
        MetadataFile.Hold hold = MetadataFile.readHold(files.hold())
                .orElseGet(() -> new MetadataFile.Hold(heldAt, purgeAt));
        MetadataFile.writeHold(files.hold(), hold);
        move(files.dir(), held.dir());
        return new HeldVolume(record, hold.heldAt(), hold.purgeAt());
    }

    @Override
    public List<HeldVolume> held() {
        List<HeldVolume> found = new ArrayList<>();
        for (LocalDisk disk : disks.values()) {
            for (Path entry : entries(disk.heldDir())) {
                if (entry.getFileName().toString().startsWith(DELETING)) {
                    continue;
                }
                VolumeFiles files = new VolumeFiles(entry);
                Optional<MetadataFile.Hold> hold = MetadataFile.readHold(files.hold());
                Optional<VolumeRecord> record = MetadataFile.read(files.metadata());
                if (hold.isPresent() && record.isPresent()) {
                    found.add(new HeldVolume(record.get(), hold.get().heldAt(), hold.get().purgeAt()));
                } else if (hold.isPresent()) {
                    LOG.warnf("held volume %s has no readable metadata; left for an operator", entry);
                }
            }
        }
        return found;
    }

    /**
     * Returns a held volume: its data grows to the size asked, its metadata takes the new name and claim, the hold
     * record goes, then the directory moves back into {@code volumes/}. A crash after the hold record went leaves it
     * in {@code held/} without one, which recovery moves back; before that, it is still held (with the new metadata,
     * which a retried CreateVolume writes again).
     */
    @Override
    public VolumeRecord restore(HeldVolume held, VolumeRecord wanted) {
        VolumeFiles files = heldFiles(held.record().id());
        VolumeFiles back = files(wanted.id());
        if (!Files.exists(files.dir(), LinkOption.NOFOLLOW_LINKS)) {
            Optional<VolumeRecord> there = MetadataFile.read(back.metadata());
            if (there.isPresent() && there.get().csiName().equals(wanted.csiName())) {
                return there.get();
            }
            throw new DriverError.NotFound("held volume " + held.record().id() + " is gone (purged)");
        }
        if (wanted.capacity().bytes() > held.record().capacity().bytes()) {
            LayoutStore.of(wanted.layout()).grow(files, wanted.capacity().bytes());
        }
        MetadataFile.write(files.metadata(), wanted);
        deleteDurably(files.hold());
        move(files.dir(), back.dir());
        return wanted;
    }

    /** Purges a held volume as a deletion is done: renamed to {@code .deleting-*} first, then removed. */
    @Override
    public void purge(HeldVolume held) {
        remove(heldFiles(held.record().id()));
    }

    VolumeFiles heldFiles(VolumeId id) {
        return entry(id.disk(), LocalDisk::heldDir, id.name(), "held volume " + id);
    }

    /**
     * The volumes whose metadata exists, touching nothing: safe while creations are in flight (a node agent's
     * leak check runs beside them).
     */
    public List<VolumeRecord> list() {
        List<VolumeRecord> found = new ArrayList<>();
        for (LocalDisk disk : disks.values()) {
            found.addAll(sweep(disk, disk.volumesDir(), files -> MetadataFile.read(files.metadata()), false));
        }
        return found;
    }

    /**
     * Walks one directory of entries (volumes or snapshots): entries whose metadata exists are returned, the rest
     * (unfinished creations, interrupted deletions) are removed. Symbolic links are never followed.
     */
    <T> List<T> sweep(LocalDisk disk, Path dir, java.util.function.Function<VolumeFiles, Optional<T>> reader,
            boolean repair) {
        List<T> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!repair) {
                    if (!name.startsWith(DELETING) && VolumeId.NAME.matcher(name).matches()
                            && !Files.isSymbolicLink(entry) && Files.isDirectory(entry)) {
                        reader.apply(new VolumeFiles(entry)).ifPresent(found::add);
                    }
                    continue;
                }
                if (Files.isSymbolicLink(entry)) {
                    // The driver never makes links. Following one would delete (as an "unfinished creation" or
                    // "interrupted deletion") whatever it points at, outside the disk: leave it alone.
                    LOG.warnf("recovery disk=%s leaving symbolic link %s alone: not made by the driver", disk.name(),
                            entry);
                    continue;
                }
                if (name.startsWith(DELETING)) {
                    LOG.infof("recovery disk=%s finishing interrupted deletion of %s", disk.name(), entry);
                    orphans.recovered(disk.name(), OrphanListener.Leftover.INTERRUPTED_DELETION);
                    destroy(new VolumeFiles(entry));
                    continue;
                }
                if (!VolumeId.NAME.matcher(name).matches() || !Files.isDirectory(entry)) {
                    continue;
                }
                Optional<T> record = reader.apply(new VolumeFiles(entry));
                if (record.isPresent()) {
                    found.add(record.get());
                    removeInterruptedRewrite(new VolumeFiles(entry));
                } else {
                    LOG.infof("recovery disk=%s removing unfinished creation %s", disk.name(), entry);
                    orphans.recovered(disk.name(), OrphanListener.Leftover.UNFINISHED_CREATION);
                    destroy(new VolumeFiles(entry));
                }
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot scan " + dir + ": " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * The temporary file of a metadata rewrite (an expansion) that a crash cut short: the old metadata still
     * stands, and the next rewrite would truncate the file anyway, but nothing half-written stays on the disk.
     */
    private static void removeInterruptedRewrite(VolumeFiles files) {
        for (Path metadata : List.of(files.metadata(), files.snapshotMetadata())) {
            try {
                Files.deleteIfExists(metadata.resolveSibling(metadata.getFileName() + ".tmp"));
            } catch (IOException e) {
                throw new DriverError.Internal("cannot remove a temporary file in " + files.dir() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Makes the directory of a new volume or snapshot, durably: its entry in the disk's directory must outlive a
     * power loss as surely as the metadata written into it later.
     */
    static void makeEntry(VolumeFiles files) {
        try {
            if (!Files.isDirectory(files.dir())) {
                Files.createDirectories(files.dir());
                MetadataFile.syncDirectory(files.dir().getParent());
            }
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create " + files.dir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes the volume, or finishes making it; the record is durable when this returns. Nothing is forced until
     * the end: the directory, the data and the sealed metadata are made, then all of it is forced in one
     * {@link #commitNew} with the other calls in flight. A crash before that leaves no metadata or a torn one,
     * which recovery removes as an unfinished creation.
     */
    @Override
    public VolumeRecord create(VolumeRecord record) {
        VolumeFiles files = files(record.id());
        makeDirectory(files);
        try {
            LayoutStore.of(record.layout()).provision(files, record.capacity().bytes());
        } catch (DriverError.ResourceExhausted e) {
            // Never acknowledged: what was made goes now, so that it holds no space until the next recovery.
            remove(files);
            throw e;
        }
        MetadataFile.writeNew(files.metadata(), record);
        commitNew(record, files);
        return record;
    }

    private static void makeDirectory(VolumeFiles files) {
        try {
            Files.createDirectories(files.dir());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot create " + files.dir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Filesystems whose journal makes changes durable in the order they were made: a force of one file commits every
     * directory entry made before it (ext4's jbd2 commits the whole running transaction, xfs forces its log up to
     * the file's last change).
     */
    private static final java.util.Set<String> ORDERED_JOURNALS = java.util.Set.of("ext4", "xfs");

    /**
     * Forces a new volume to disk: its metadata's contents, its directory (the entries of its data and its
     * metadata) and the disk's {@code volumes/} directory (the volume's own entry). Whole metadata on disk must
     * always come with the data's entry beside it: on a filesystem with an ordered journal the metadata goes first,
     * and its one journal commit carries the directories' changes too (the two directory forces then find nothing
     * left to commit); on any other the volume's directory goes first, at the cost of a second commit. The first
     * two are this volume's alone and forced by this thread, alongside the other calls' (the journal commits
     * concurrent fsyncs together); {@code volumes/} is shared, forced once per
     * {@link dev.ordinal.driver.host.GroupCommit} pass for every call waiting on it. When another call forced
     * {@code volumes/} first, the volume's entry may be durable before its contents: after a crash then, it is a
     * directory without whole metadata, an unfinished creation.
     */
    private void commitNew(VolumeRecord record, VolumeFiles files) {
        LocalDisk disk = disks.get(new DiskName(record.id().disk()));
        try {
            if (disk != null && ORDERED_JOURNALS.contains(disk.filesystem())) {
                MetadataFile.syncFile(files.metadata());
                MetadataFile.syncDirectory(files.dir());
            } else {
                MetadataFile.syncDirectory(files.dir());
                MetadataFile.syncFile(files.metadata());
            }
            MetadataFile.force(List.of(files.dir().getParent()));
        } catch (IOException e) {
            throw new DriverError.Internal("cannot make volume " + files.dir() + " durable: " + e.getMessage(), e);
        }
    }

    /** Makes the volume as a writable copy of a snapshot on the same disk (a restore), or finishes making it. */
    @Override
    public VolumeRecord createFrom(VolumeRecord record, SnapshotRecord snapshot) {
        return createFrom(record, snapshotFiles(snapshot.id()));
    }

    /** Makes the volume as a copy of another volume on the same disk (a clone), or finishes making it. */
    @Override
    public VolumeRecord createFrom(VolumeRecord record, VolumeRecord source) {
        return createFrom(record, files(source.id()));
    }

    /** The record is durable when this returns. */
    private VolumeRecord createFrom(VolumeRecord record, VolumeFiles source) {
        VolumeFiles files = files(record.id());
        makeDirectory(files);
        try {
            LayoutStore.of(record.layout()).copy(source, files, record.capacity().bytes(), MountTable.read());
        } catch (DriverError.ResourceExhausted e) {
            remove(files);
            throw e;
        }
        MetadataFile.writeNew(files.metadata(), record);
        commitNew(record, files);
        return record;
    }

    /** The controller's half of an expansion: the data may hold the new size, then the metadata says so. */
    @Override
    public VolumeRecord grow(VolumeRecord grown) {
        VolumeFiles files = files(grown.id());
        LayoutStore.of(grown.layout()).grow(files, grown.capacity().bytes());
        MetadataFile.write(files.metadata(), grown);
        return grown;
    }

    /** The volume as stored, or empty when it does not exist on this node. */
    @Override
    public Optional<VolumeRecord> read(VolumeId id) {
        if (!id.node().equals(node.value()) || !disks.containsKey(new DiskName(id.disk()))) {
            return Optional.empty();
        }
        return MetadataFile.read(files(id).metadata());
    }

    /** Removes the volume; a volume that does not exist is already deleted. */
    @Override
    public void delete(VolumeRecord record) {
        VolumeFiles files = files(record.id());
        if (Files.exists(files.dir()) && LayoutStore.of(record.layout()).inUse(files, MountTable.read())) {
            throw new DriverError.FailedPrecondition("volume " + record.id() + " is still staged or published on "
                    + node + "; unpublish and unstage it first");
        }
        remove(files);
    }

    /**
     * Removes a volume's or snapshot's directory. The rename to {@code .deleting-*} makes the start of the deletion
     * atomic: after a crash the entry is either whole or visibly being deleted, which recovery finishes. The rename
     * is forced in a pass shared with the calls in flight (most of them change the same directory).
     */
    static void remove(VolumeFiles files) {
        Path doomed = files.dir().resolveSibling(DELETING + files.dir().getFileName());
        if (Files.exists(files.dir())) {
            try {
                Files.move(files.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
                MetadataFile.force(List.of(doomed.getParent()));
            } catch (IOException e) {
                throw new DriverError.Internal("cannot begin deletion of " + files.dir() + ": " + e.getMessage(), e);
            }
        }
        destroy(new VolumeFiles(doomed));
    }

    @Override
    public void requireServes(VolumeId id) {
        if (!id.node().equals(node.value())) {
            throw new DriverError.FailedPrecondition("volume " + id + " lives on node " + id.node()
                    + "; this driver serves node " + node);
        }
        if (!disks.containsKey(new DiskName(id.disk()))) {
            throw new DriverError.FailedPrecondition("volume " + id + " lives on disk " + id.disk()
                    + ", which is not configured on node " + node);
        }
    }

    /**
     * What each disk can hold for volumes now, for the allocator: the free space of its filesystem (df's Avail)
     * plus {@code preallocated}, the bytes of its volumes that already hold all their blocks (image volumes),
     * never more than the disk's configured capacity (by default its filesystem's size). What may still grow into
     * free space (dir volumes, which have no limit; subvolumes, whose blocks btrfs shares and copies on write;
     * snapshots, whose shared blocks the volume copies when it overwrites them) is counted as the allocator counts
     * it, at its whole size: a written part is then counted twice, which refuses early rather than promises bytes
     * that are not there.
     */
    @Override
    public Map<Placement, Capacity> usableCapacities(java.util.function.ToLongFunction<Placement> preallocated) {
        Map<Placement, Capacity> usable = new LinkedHashMap<>();
        for (LocalDisk disk : disks.values()) {
            Placement placement = new Placement(node, disk.name());
            // The held bytes before the free space: a new volume's blocks leave the free space before it is counted
            // as holding them, so in this order its blocks may be missed on both sides (refusing early), never
            // counted on both (promising them twice).
            long held = preallocated.applyAsLong(placement);
            long free;
            try {
                free = dev.ordinal.driver.host.Preallocation.usableBytes(disk.root());
            } catch (DriverError e) {
                // A disk that cannot be read is reported unhealthy elsewhere; it offers nothing new meanwhile.
                free = 0;
            }
            usable.put(placement, usableCapacity(disk, free, held));
        }
        return usable;
    }

    /** The rule of {@link #usableCapacities}, for one disk: a node agent reports the same number. */
    public static Capacity usableCapacity(LocalDisk disk, long free, long preallocated) {
        return Capacity.ofBytes(Math.min(disk.capacity().bytes(), free + preallocated));
    }

    @Override
    public Optional<Capacity> largestDisk(Layout layout) {
        return disks.values().stream().filter(d -> d.offers(layout)).map(LocalDisk::capacity)
                .max(java.util.Comparator.naturalOrder());
    }

    VolumeFiles files(VolumeId id) {
        return entry(id.disk(), LocalDisk::volumesDir, id.name(), "volume " + id);
    }

    /** The directory of one entry (volume or snapshot) inside a disk, refusing anything that would leave it. */
    VolumeFiles entry(String diskName, java.util.function.Function<LocalDisk, Path> area, String name, String what) {
        LocalDisk disk = disks.get(new DiskName(diskName));
        if (disk == null) {
            throw new DriverError.NotFound(what + " is on disk " + diskName + ", which node " + node
                    + " does not have (disks: " + disks.keySet() + ")");
        }
        Path parent = area.apply(disk).normalize();
        Path dir = parent.resolve(name).normalize();
        // The name pattern already excludes separators; this keeps the promise even if that pattern changes.
        if (!dir.getParent().equals(parent)) {
            throw new DriverError.InvalidArgument(what + " does not name an entry inside disk " + disk.name());
        }
        return new VolumeFiles(dir);
    }

    /** Where a volume's directory is on this node, for operators (the OrdinalVolume status shows it). */
    public Path pathOf(VolumeId id) {
        return files(id).dir();
    }

    VolumeFiles snapshotFiles(SnapshotId id) {
        return entry(id.disk(), LocalDisk::snapshotsDir, id.name(), "snapshot " + id);
    }

    /** Removes a volume or snapshot directory whatever layout it had: its own contents tell which. */
    static void destroy(VolumeFiles files) {
        if (!Files.exists(files.dir())) {
            return;
        }
        if (Files.isSymbolicLink(files.dir())) {
            // Removing image and data below would follow the link out of the disk; nothing outside it is ours.
            throw new DriverError.FailedPrecondition(files.dir() + " is a symbolic link, which the driver never "
                    + "makes; it was left in place");
        }
        if (Files.exists(files.image())) {
            ImageStore.INSTANCE.destroy(files);
        }
        if (Files.exists(files.data())) {
            SubvolumeStore.INSTANCE.destroy(files);
        }
        try {
            Trees.deleteRecursively(files.dir());
        } catch (IOException e) {
            throw new DriverError.Internal("cannot remove " + files.dir() + ": " + e.getMessage(), e);
        }
    }

    /** Layout operations for the node side, which lives in the same package. */
    LayoutStore store(VolumeRecord record) {
        return LayoutStore.of(record.layout());
    }
}
