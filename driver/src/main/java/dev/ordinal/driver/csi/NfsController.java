package dev.ordinal.driver.csi;

import com.google.protobuf.Timestamp;
import dev.ordinal.csi.v1.ControllerExpandVolumeResponse;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.GetCapacityResponse;
import dev.ordinal.csi.v1.ListSnapshotsResponse;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.nfs.NfsParameters;
import dev.ordinal.driver.nfs.NfsSnapshot;
import dev.ordinal.driver.nfs.NfsSnapshotId;
import dev.ordinal.driver.nfs.NfsVolume;
import dev.ordinal.driver.nfs.NfsVolumeId;
import dev.ordinal.driver.nfs.NfsVolumeService;
import dev.ordinal.driver.volume.PageToken;
import dev.ordinal.driver.volume.SnapshotPage;
import dev.ordinal.driver.volume.SnapshotService;
import dev.ordinal.driver.volume.VolumePage;
import dev.ordinal.driver.volume.VolumeService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Controller RPCs of NFS volumes, and the listings that page across both backends. ControllerService sends a
 * call here when its parameters name a {@code server} (CreateVolume, GetCapacity) or its id is an NFS one.
 */
final class NfsController {

    private final NfsVolumeService nfs;

    NfsController(NfsVolumeService nfs) {
        this.nfs = nfs;
    }

    static boolean isVolume(String id) {
        return id.startsWith(NfsVolumeId.PREFIX);
    }

    static boolean isSnapshot(String id) {
        return id.startsWith(NfsSnapshotId.PREFIX);
    }

    static boolean isNfs(Map<String, String> parameters) {
        return NfsParameters.isNfs(parameters);
    }

    Volume create(CreateVolumeRequest request) {
        NfsVolume volume = nfs.create(CsiRequests.name(request.getName()),
                CsiRequests.capacity(request.hasCapacityRange(), request.getCapacityRange()),
                CsiRequests.capabilities(request.getVolumeCapabilitiesList()), request.getParametersMap(),
                CsiRequests.contentSource(request.hasVolumeContentSource(), request.getVolumeContentSource()));
        return volume(volume);
    }

    void delete(String id) {
        nfs.delete(id);
    }

    ValidateVolumeCapabilitiesResponse validate(ValidateVolumeCapabilitiesRequest request) {
        NfsVolume volume = nfs.get(request.getVolumeId());
        Optional<String> problem = nfs.unsupported(CsiRequests.capabilities(request.getVolumeCapabilitiesList()));
        if (problem.isEmpty() && !request.getParametersMap().isEmpty()) {
            Map<String, String> asked = NfsParameters.parse(request.getParametersMap()).defining();
            if (!asked.equals(volume.parameters())) {
                problem = Optional.of("volume " + volume.id() + " was made with parameters " + volume.parameters()
                        + ", not " + asked);
            }
        }
        return ControllerService.validation(request, problem);
    }

    /** The export's free space: volumes are soft-limited directories, so any of them fits while space is free. */
    GetCapacityResponse capacity(Map<String, String> parameters) {
        long free = nfs.available(parameters).bytes();
        return GetCapacityResponse.newBuilder().setAvailableCapacity(free)
                .setMaximumVolumeSize(com.google.protobuf.Int64Value.of(free)).build();
    }

    /** NFS enforces no size: the recorded size rises, and the node learns it from NodeExpandVolume. */
    ControllerExpandVolumeResponse expand(String id, dev.ordinal.csi.v1.CapacityRange range) {
        return ControllerExpandVolumeResponse.newBuilder()
                .setCapacityBytes(nfs.expand(id, CsiRequests.capacity(true, range)).bytes())
                .setNodeExpansionRequired(true).build();
    }

    Snapshot createSnapshot(String name, String source) {
        return snapshot(nfs.createSnapshot(name, source));
    }

    void deleteSnapshot(String id) {
        nfs.deleteSnapshot(id);
    }

    /** One page of every volume, local and NFS, in id order; the token is the last id, as for one backend. */
    ListVolumesResponse listVolumes(VolumeService local, int maxEntries, String token) {
        int limit = PageToken.limit(maxEntries);
        VolumePage localPage = local.list(maxEntries, token);
        List<Entry<Volume>> merged = new ArrayList<>();
        for (VolumeRecord record : localPage.volumes()) {
            merged.add(new Entry<>(record.id().toString(), ControllerService.volume(record)));
        }
        for (NfsVolume volume : nfs.volumesAfter(PageToken.decode(token), plusOne(limit))) {
            merged.add(new Entry<>(volume.id().toString(), volume(volume)));
        }
        Page<Volume> page = page(merged, limit, !localPage.nextToken().isEmpty());
        ListVolumesResponse.Builder response = ListVolumesResponse.newBuilder().setNextToken(page.nextToken());
        page.items().forEach(v -> response.addEntries(ListVolumesResponse.Entry.newBuilder().setVolume(v)));
        return response.build();
    }

    /** ListSnapshots: by id or source from the backend that owns it; otherwise both, merged in id order. */
    ListSnapshotsResponse listSnapshots(SnapshotService local, int maxEntries, String token, String snapshotId,
            String sourceVolumeId) {
        ListSnapshotsResponse.Builder response = ListSnapshotsResponse.newBuilder();
        int limit = PageToken.limit(maxEntries);
        String after = PageToken.decode(token);
        List<Entry<Snapshot>> merged = new ArrayList<>();
        boolean localMore = false;
        if (!snapshotId.isEmpty() || !sourceVolumeId.isEmpty()) {
            boolean nfsAsked = snapshotId.isEmpty() ? isVolume(sourceVolumeId) : isSnapshot(snapshotId);
            if (!nfsAsked) {
                return local(local.list(maxEntries, token, snapshotId, sourceVolumeId), response);
            }
            nfs.snapshotsAfter(after, plusOne(limit), s -> (snapshotId.isEmpty()
                    || s.id().toString().equals(snapshotId))
                    && (sourceVolumeId.isEmpty() || s.source().toString().equals(sourceVolumeId)))
                    .forEach(s -> merged.add(new Entry<>(s.id().toString(), snapshot(s))));
        } else {
            SnapshotPage localPage = local.list(maxEntries, token, "", "");
            for (SnapshotRecord record : localPage.snapshots()) {
                merged.add(new Entry<>(record.id().toString(), ControllerService.snapshot(record)));
            }
            localMore = !localPage.nextToken().isEmpty();
            nfs.snapshotsAfter(after, plusOne(limit), s -> true)
                    .forEach(s -> merged.add(new Entry<>(s.id().toString(), snapshot(s))));
        }
        Page<Snapshot> page = page(merged, limit, localMore);
        page.items().forEach(s -> response.addEntries(ListSnapshotsResponse.Entry.newBuilder().setSnapshot(s)));
        return response.setNextToken(page.nextToken()).build();
    }

    private static ListSnapshotsResponse local(SnapshotPage page, ListSnapshotsResponse.Builder response) {
        page.snapshots().forEach(s -> response.addEntries(ListSnapshotsResponse.Entry.newBuilder()
                .setSnapshot(ControllerService.snapshot(s))));
        return response.setNextToken(page.nextToken()).build();
    }

    private record Entry<T>(String id, T item) {
    }

    private record Page<T>(List<T> items, String nextToken) {
    }

    /**
     * The first {@code limit} entries of both backends' pages in id order. More follow when the merge holds more
     * than the limit, or when a backend said it has more.
     */
    private static <T> Page<T> page(List<Entry<T>> merged, int limit, boolean backendHasMore) {
        merged.sort(Comparator.comparing(Entry::id));
        List<Entry<T>> taken = merged.subList(0, Math.min(limit, merged.size()));
        boolean more = merged.size() > limit || (backendHasMore && !taken.isEmpty());
        String next = more ? PageToken.encode(taken.get(taken.size() - 1).id()) : "";
        return new Page<>(taken.stream().map(Entry::item).toList(), next);
    }

    private static int plusOne(int limit) {
        return limit == Integer.MAX_VALUE ? limit : limit + 1;
    }

    static Volume volume(NfsVolume volume) {
        Volume.Builder builder = Volume.newBuilder()
                .setVolumeId(volume.id().toString())
                .setCapacityBytes(volume.capacity().bytes())
                .putAllVolumeContext(NfsVolumeService.volumeContext(volume));
        switch (volume.source()) {
            case ContentSource.FromSnapshot s -> builder.setContentSource(VolumeContentSource.newBuilder()
                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(s.snapshotId())));
            case ContentSource.FromVolume v -> builder.setContentSource(VolumeContentSource.newBuilder()
                    .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(v.volumeId())));
            case ContentSource.Empty e -> { }
        }
        return builder.build();
    }

    /** Snapshots are copied synchronously, so one that exists is ready to use. */
    static Snapshot snapshot(NfsSnapshot snapshot) {
        return Snapshot.newBuilder()
                .setSnapshotId(snapshot.id().toString())
                .setSourceVolumeId(snapshot.source().toString())
                .setSizeBytes(snapshot.size().bytes())
                .setCreationTime(Timestamp.newBuilder().setSeconds(snapshot.createdAt().getEpochSecond())
                        .setNanos(snapshot.createdAt().getNano()))
                .setReadyToUse(true)
                .build();
    }
}
