package dev.ordinal.driver.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Which backend a Controller RPC is for, and the listings that span them all. CreateVolume and GetCapacity go to
 * the first backend that serves their StorageClass parameters, every other call to the first that owns its volume
 * or snapshot id; what no backend claims goes to the default backend, which answers for ids no backend made
 * (NOT_FOUND, or OK for DeleteVolume and DeleteSnapshot). ListVolumes and ListSnapshots merge the backends'
 * slices in id order, so one page token (the last id) pages through all of them.
 */
public final class ControllerRouter {

    private final ControllerBackend fallback;
    private final List<ControllerBackend> claimed;
    private final List<ControllerBackend> all;

    /**
     * @param fallback the default backend: local disks, whose parameters have no marker of their own
     * @param claimed  the backends that recognize their parameters and ids, asked in this order
     */
    public ControllerRouter(ControllerBackend fallback, List<ControllerBackend> claimed) {
        this.fallback = fallback;
        this.claimed = List.copyOf(claimed);
        List<ControllerBackend> every = new ArrayList<>();
        every.add(fallback);
        every.addAll(claimed);
        this.all = List.copyOf(every);
    }

    public ControllerBackend forParameters(Map<String, String> parameters) {
        return claimed.stream().filter(b -> b.servesParameters(parameters)).findFirst().orElse(fallback);
    }

    public ControllerBackend forVolume(String volumeId) {
        return claimed.stream().filter(b -> b.ownsVolume(volumeId)).findFirst().orElse(fallback);
    }

    public ControllerBackend forSnapshot(String snapshotId) {
        return claimed.stream().filter(b -> b.ownsSnapshot(snapshotId)).findFirst().orElse(fallback);
    }

    /** One page of every backend's volumes in id order. */
    public Page<VolumeSummary> volumes(int maxEntries, String startingToken) {
        int limit = PageToken.limit(maxEntries);
        String after = PageToken.decode(startingToken);
        List<Slice<VolumeSummary>> slices = all.stream().map(b -> b.volumes(after, limit)).toList();
        return merge(slices, limit, VolumeSummary::id);
    }

    /**
     * One page of snapshots in id order: asked by snapshot id or source volume id, only the backend that owns that
     * id is asked (an id of no backend is the default backend's, which finds nothing); otherwise every backend.
     */
    public Page<SnapshotSummary> snapshots(int maxEntries, String startingToken, String snapshotId,
            String sourceVolumeId) {
        int limit = PageToken.limit(maxEntries);
        String after = PageToken.decode(startingToken);
        if (!snapshotId.isEmpty() || !sourceVolumeId.isEmpty()) {
            ControllerBackend owner = snapshotId.isEmpty() ? forVolume(sourceVolumeId) : forSnapshot(snapshotId);
            return merge(List.of(owner.snapshots(after, limit, snapshotId, sourceVolumeId)), limit,
                    SnapshotSummary::id);
        }
        List<Slice<SnapshotSummary>> slices = all.stream().map(b -> b.snapshots(after, limit, "", "")).toList();
        return merge(slices, limit, SnapshotSummary::id);
    }

    /**
     * The first {@code limit} entries of all slices in id order. More follow when the slices hold more than the
     * limit together, or when a backend said it holds more than it gave.
     */
    private static <T> Page<T> merge(List<Slice<T>> slices, int limit, Function<T, String> idOf) {
        List<T> merged = new ArrayList<>();
        boolean backendHasMore = false;
        for (Slice<T> slice : slices) {
            merged.addAll(slice.items());
            backendHasMore |= slice.more();
        }
        merged.sort(Comparator.comparing(idOf));
        List<T> taken = merged.subList(0, Math.min(limit, merged.size()));
        boolean more = merged.size() > limit || (backendHasMore && !taken.isEmpty());
        String next = more ? PageToken.encode(idOf.apply(taken.get(taken.size() - 1))) : "";
        return new Page<>(taken, next);
    }
}
