package dev.ordinal.driver.nfs;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.backend.NodeBackend;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.host.Beneath;
import dev.ordinal.driver.host.CreatedPaths;
import dev.ordinal.driver.host.FilesystemStats;
import dev.ordinal.driver.host.Filesystems;
import dev.ordinal.driver.host.MountEntry;
import dev.ordinal.driver.host.MountTable;
import dev.ordinal.driver.host.Mounter;
import dev.ordinal.driver.host.RootedPath;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeStats;
import dev.ordinal.driver.volume.NodePaths;
import dev.ordinal.driver.volume.VolumeLocks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The node half of NFS volumes. Stage mounts the volume's directory at the staging path ({@code mount -t nfs},
 * or a bind mount of the export's local path in {@code bind} mode), publish bind-mounts the staging path onto the
 * target, and their undoing is idempotent: what is mounted where is read from the kernel. Stats report the
 * directory's own usage from {@link UsageCache}, and an abnormal condition for a stale handle or a volume that
 * uses more than it asked for (NFS has no per-directory limit: this is the soft limit).
 */
public final class NfsNodeService implements NodeBackend {

    private final java.util.List<Runnable> usageListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final NfsSettings settings;
    private final VolumeLocks locks;
    private final NodePaths paths;
    private final NodeState state;
    private final UsageCache usage;
    private final CreatedPaths created;

    /**
     * A volume's use against its request, for the metrics. {@code counted} is false until a first walk finished
     * ({@code usedBytes} is then 0 and means nothing).
     */
    public record VolumeUse(String volumeId, String namespace, String claim, String persistentVolume, boolean counted,
            long usedBytes, long requestedBytes) {
        public boolean overSize() {
            return requestedBytes > 0 && usedBytes > requestedBytes;
        }
    }

    public NfsNodeService(NfsSettings settings, VolumeLocks locks, NodePaths paths, CreatedPaths created,
            Clock clock) {
        this.settings = settings;
        this.created = created;
        this.locks = locks;
        this.paths = paths;
        this.state = new NodeState(settings.stateDir());
        this.usage = new UsageCache(settings.usage(), settings.usageWalker(), clock);
    }

    @Override
    public boolean ownsVolume(String volumeId) {
        return volumeId.startsWith(NfsVolumeId.PREFIX);
    }

    @Override
    public void stage(String volumeId, String stagingPath, VolumeCapability capability, Map<String, String> context) {
        RootedPath staging = paths.resolve("staging_target_path", stagingPath);
        NfsVolumeId id = find(volumeId);
        requireMount(capability);
        // Parsed before anything is mounted: a malformed context must not leave a mount behind its refusal.
        long capacityBytes = parseLong(context.get(NfsVolumeService.CONTEXT_CAPACITY));
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "NodeStageVolume")) {
            Beneath.Made dir = Beneath.makeDirectory(staging);
            if (!dir.kind().equals("dir")) {
                throw new DriverError.FailedPrecondition("staging_target_path " + staging + " is a " + dir.kind()
                        + ", not a directory");
            }
            Optional<MountEntry> current = MountTable.read().at(staging.path());
            if (current.isPresent()) {
                // Already staged: the same volume there is a retry (success); anything else is a conflict.
                if (!stagedHere(id, current.get())) {
                    throw new DriverError.AlreadyExists("staging path " + staging + " already has "
                            + current.get().source() + " mounted, not volume " + id);
                }
            } else if (settings.nodeMount() == NfsSettings.NodeMount.NFS) {
                NfsMount.mount(id, staging, NfsParameters.splitOptions(
                        context.getOrDefault(NfsParameters.MOUNT_OPTIONS, "")), capability.mountFlags(),
                        capability.mode().readOnly());
            } else {
                // The export's own mount options apply; the capability's NFS options cannot change a bind mount.
                Mounter.bind(RootedPath.own(localDirectory(id)), staging, capability.mode().readOnly(), List.of());
            }
            state.put(new NodeState.Staged(id.toString(), capacityBytes,
                    context.getOrDefault(NfsVolumeService.CONTEXT_CLAIM_NAMESPACE, ""),
                    context.getOrDefault(NfsVolumeService.CONTEXT_CLAIM_NAME, ""),
                    context.getOrDefault(NfsVolumeService.CONTEXT_PERSISTENT_VOLUME, "")));
        }
    }

    @Override
    public void unstage(String volumeId, String stagingPath) {
        RootedPath staging = paths.resolve("staging_target_path", stagingPath);
        NfsVolumeId id = find(volumeId);
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "NodeUnstageVolume")) {
            unmountOurs(id, "staging_target_path", staging);
            state.remove(id.toString());
            usage.forget(id.toString());
        }
    }

    @Override
    public void publish(String volumeId, String stagingPath, String targetPath, boolean readOnly,
            VolumeCapability capability) {
        RootedPath staging = paths.resolve("staging_target_path", stagingPath);
        RootedPath target = paths.resolve("target_path", targetPath);
        NfsVolumeId id = find(volumeId);
        requireMount(capability);
        boolean ro = readOnly || capability.mode().readOnly();
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "NodePublishVolume")) {
            MountTable mounts = MountTable.read();
            Optional<MountEntry> staged = mounts.at(staging.path());
            if (staged.isEmpty() || !stagedHere(id, staged.get())) {
                throw new DriverError.FailedPrecondition("volume " + id + " is not staged at " + staging
                        + "; call NodeStageVolume first");
            }
            Optional<MountEntry> current = mounts.at(target.path());
            if (current.isPresent()) {
                if (!current.get().sameTreeAs(staged.get())) {
                    throw new DriverError.AlreadyExists("target path " + target + " already has "
                            + current.get().source() + " mounted, not volume " + id);
                }
                if (current.get().readOnly() != ro) {
                    throw new DriverError.AlreadyExists("volume " + id + " is already published at " + target + " "
                            + (current.get().readOnly() ? "read-only" : "read-write") + ", not "
                            + (ro ? "read-only" : "read-write"));
                }
                return;
            }
            makeTarget(id, target);
            Mounter.bind(staging, target, ro, List.of());
        }
    }

    /**
     * Unmounts the volume from {@code target} only if that mount is this volume's, then removes the directory
     * only if this volume's publish made it; see {@link dev.ordinal.driver.local.LocalMounts#unpublish}.
     */
    @Override
    public void unpublish(String volumeId, String targetPath) {
        RootedPath target = paths.resolve("target_path", targetPath);
        NfsVolumeId id = find(volumeId);
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "NodeUnpublishVolume")) {
            unmountOurs(id, "target_path", target);
            created.remove(id.toString(), target);
        }
    }

    /** Unmounts every mount of this volume stacked at {@code path}; any other mount there is refused. */
    private void unmountOurs(NfsVolumeId id, String field, RootedPath path) {
        for (Optional<MountEntry> current = MountTable.read().at(path.path()); current.isPresent();
                current = MountTable.read().at(path.path())) {
            if (!stagedHere(id, current.get())) {
                throw new DriverError.FailedPrecondition(field + " " + path + " has " + current.get().source()
                        + " (" + current.get().fsType() + ") mounted, which is not volume " + id
                        + "; it was left in place");
            }
            Mounter.unmount(path, current.get());
        }
    }

    /** A publish target: made here (and recorded), or an existing empty directory; anything else is refused. */
    private void makeTarget(NfsVolumeId id, RootedPath target) {
        if (created.make(id.toString(), target, "dir").created()) {
            return;
        }
        Beneath.Found found = Beneath.stat(target);
        if (!found.kind().equals("dir") || !found.empty()) {
            throw new DriverError.FailedPrecondition("target path " + target + " is " + found.describe()
                    + "; a volume is published only onto an empty directory");
        }
    }

    /** Records the size the controller grew the volume to; nothing on the server changes. */
    @Override
    public Capacity expand(String volumeId, String volumePath, long requiredBytes) {
        Path path = paths.check("volume_path", volumePath);
        NfsVolumeId id = find(volumeId);
        if (!Files.exists(path)) {
            throw new DriverError.NotFound("volume_path " + path + " does not exist");
        }
        try (VolumeLocks.Held lock = locks.acquire(id.toString(), "NodeExpandVolume")) {
            NodeState.Staged current = state.get(id.toString())
                    .orElse(new NodeState.Staged(id.toString(), 0, "", "", ""));
            if (requiredBytes > current.capacityBytes()) {
                current = current.withCapacity(requiredBytes);
                state.put(current);
                // A larger request may end an over-size: whoever reads uses() must not wait for the next walk.
                usageListeners.forEach(Runnable::run);
            }
            return Capacity.ofBytes(current.capacityBytes());
        }
    }

    @Override
    public VolumeStats stats(String volumeId, String volumePath) {
        Path path = paths.check("volume_path", volumePath);
        NfsVolumeId id = find(volumeId);
        FilesystemStats fs;
        try {
            Files.readAttributes(path, BasicFileAttributes.class);
            fs = Filesystems.stats(path);
        } catch (NoSuchFileException e) {
            throw new DriverError.NotFound("volume_path " + path + " does not exist");
        } catch (IOException | DriverError e) {
            Optional<String> stale = NfsHealth.stale(e);
            if (stale.isPresent()) {
                return new VolumeStats(0, 0, 0, 0, 0, 0, false, true, "volume " + id + ": " + stale.get()
                        + " at " + path + "; the directory is gone from the server or the export changed");
            }
            throw e instanceof DriverError d ? d
                    : new DriverError.Internal("cannot read " + path + ": " + e.getMessage(), e);
        }
        if (!MountTable.read().isMountPoint(path)) {
            return new VolumeStats(0, 0, 0, 0, 0, 0, false, true, "volume " + id + " is not mounted at " + path);
        }
        UsageCache.Figure figure = usage.usage(id.toString(), path);
        long requested = state.get(id.toString()).map(NodeState.Staged::capacityBytes).orElse(0L);
        long total = requested > 0 ? requested : fs.totalBytes();
        long available = Math.max(0, Math.min(total - figure.bytes(), fs.availableBytes()));
        boolean over = requested > 0 && figure.bytes() > requested;
        String message = over ? "volume " + id + " uses " + Capacity.format(figure.bytes()) + " of its "
                + Capacity.format(requested) : "volume is healthy";
        if (!figure.complete()) {
            message += " (" + figure.note() + ")";
        }
        return new VolumeStats(total, available, figure.bytes(), fs.totalInodes(), figure.inodes(),
                fs.freeInodes(), false, over, message);
    }

    /** Every staged volume's last counted use against its request (the metric reads it). */
    public List<VolumeUse> uses() {
        return state.all().stream().map(s -> {
            Optional<UsageCache.Figure> figure = usage.last(s.volumeId());
            return new VolumeUse(s.volumeId(), s.claimNamespace(), s.claimName(), s.persistentVolume(),
                    figure.isPresent(), figure.map(UsageCache.Figure::bytes).orElse(0L), s.capacityBytes());
        }).toList();
    }

    /** Runs {@code listener} after every usage walk, and whenever a volume's requested size changes. */
    public void onUsageCounted(Runnable listener) {
        usageListeners.add(listener);
        usage.onFigure(listener);
    }

    private NfsVolumeId find(String rawId) {
        return NfsVolumeId.parse(rawId).orElseThrow(() -> new DriverError.NotFound("volume " + rawId
                + " does not exist: it is not an NFS volume id this driver made"));
    }

    /** Where the volume's directory is on this node in bind mode: inside the export, through no link. */
    private Path localDirectory(NfsVolumeId id) {
        NfsExport export = settings.exports().stream().filter(e -> e.key().equals(id.export())).findFirst()
                .orElseThrow(() -> new DriverError.FailedPrecondition("export " + id.export() + " is not in "
                        + NfsVolumeService.EXPORTS_SETTING + " on this node, which stages by bind mount"));
        Path dir = NfsStore.inside(export, id.subdir(), DriverError.FailedPrecondition::new);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new DriverError.NotFound("volume " + id + " has no directory " + id.subdir() + " on export "
                    + export.key());
        }
        return dir;
    }

    /**
     * Whether a mount (at a staging or target path) shows this volume's directory. In bind mode an export that is
     * not configured here proves nothing and is refused (FAILED_PRECONDITION) before anything is touched.
     */
    private boolean stagedHere(NfsVolumeId id, MountEntry current) {
        if (settings.nodeMount() == NfsSettings.NodeMount.NFS) {
            return current.fsType().startsWith("nfs") && current.source().equals(id.mountSource());
        }
        Optional<MountEntry> expected = MountTable.read().treeOf(localDirectory(id));
        return expected.isPresent() && current.sameTreeAs(expected.get());
    }

    private static void requireMount(VolumeCapability capability) {
        if (capability.block()) {
            throw new DriverError.InvalidArgument("NFS volumes are shared filesystems; block access is not "
                    + "supported");
        }
    }

    private static long parseLong(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new DriverError.InvalidArgument("volume_context " + NfsVolumeService.CONTEXT_CAPACITY + "="
                    + value + " is not a byte count");
        }
    }
}
