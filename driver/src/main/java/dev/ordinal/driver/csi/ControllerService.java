package dev.ordinal.driver.csi;

import com.google.protobuf.Int64Value;
import com.google.protobuf.Timestamp;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.ControllerExpandVolumeResponse;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesRequest;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesResponse;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.ControllerServiceCapability;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.CreateSnapshotResponse;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.CreateVolumeResponse;
import dev.ordinal.csi.v1.DeleteSnapshotRequest;
import dev.ordinal.csi.v1.DeleteSnapshotResponse;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeResponse;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.GetCapacityResponse;
import dev.ordinal.csi.v1.ListSnapshotsRequest;
import dev.ordinal.csi.v1.ListSnapshotsResponse;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.backend.CapacityOffer;
import dev.ordinal.driver.backend.ControllerRouter;
import dev.ordinal.driver.backend.CreateVolumeSpec;
import dev.ordinal.driver.backend.ExpansionResult;
import dev.ordinal.driver.backend.Page;
import dev.ordinal.driver.backend.SnapshotSummary;
import dev.ordinal.driver.backend.VolumeSummary;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.VolumeCapability;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;

/**
 * CSI Controller: check the request's fields, let the router choose the backend (by StorageClass parameters for
 * CreateVolume and GetCapacity, by volume or snapshot id for the rest; listings span every backend), and turn the
 * backend's answer into the gRPC response.
 */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {

    private static final ControllerGetCapabilitiesResponse CAPABILITIES = capabilities(
            ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
            ControllerServiceCapability.RPC.Type.LIST_VOLUMES,
            ControllerServiceCapability.RPC.Type.GET_CAPACITY,
            ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
            ControllerServiceCapability.RPC.Type.CREATE_DELETE_SNAPSHOT,
            ControllerServiceCapability.RPC.Type.LIST_SNAPSHOTS,
            ControllerServiceCapability.RPC.Type.CLONE_VOLUME,
            ControllerServiceCapability.RPC.Type.EXPAND_VOLUME);

    private final ControllerRouter backends;

    public ControllerService(ControllerRouter backends) {
        this.backends = backends;
    }

    @Override
    public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            CreateVolumeSpec spec = new CreateVolumeSpec(CsiRequests.name(request.getName()),
                    CsiRequests.capacity(request.hasCapacityRange(), request.getCapacityRange()),
                    CsiRequests.capabilities(request.getVolumeCapabilitiesList()), request.getParametersMap(),
                    CsiRequests.topology(request.hasAccessibilityRequirements(),
                            request.getAccessibilityRequirements()),
                    CsiRequests.contentSource(request.hasVolumeContentSource(), request.getVolumeContentSource()));
            VolumeSummary volume = backends.forParameters(spec.parameters()).create(spec);
            return CreateVolumeResponse.newBuilder().setVolume(volume(volume)).build();
        });
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            backends.forVolume(id).delete(id);
            return DeleteVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest request,
            StreamObserver<ValidateVolumeCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            List<VolumeCapability> capabilities = CsiRequests.capabilities(request.getVolumeCapabilitiesList());
            Optional<String> problem = backends.forVolume(id).unsupported(id, capabilities,
                    request.getParametersMap());
            return validation(request, problem);
        });
    }

    /** ValidateVolumeCapabilities' answer: the request confirmed as asked, or the reason it cannot be. */
    private static ValidateVolumeCapabilitiesResponse validation(ValidateVolumeCapabilitiesRequest request,
            Optional<String> problem) {
        if (problem.isPresent()) {
            return ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(problem.get()).build();
        }
        return ValidateVolumeCapabilitiesResponse.newBuilder()
                .setConfirmed(ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                        .putAllVolumeContext(request.getVolumeContextMap())
                        .addAllVolumeCapabilities(request.getVolumeCapabilitiesList())
                        .putAllParameters(request.getParametersMap()))
                .build();
    }

    @Override
    public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> observer) {
        Calls.answer(observer, () -> {
            Page<VolumeSummary> page = backends.volumes(request.getMaxEntries(), request.getStartingToken());
            ListVolumesResponse.Builder response = ListVolumesResponse.newBuilder().setNextToken(page.nextToken());
            page.items().forEach(v -> response.addEntries(ListVolumesResponse.Entry.newBuilder().setVolume(volume(v))));
            return response.build();
        });
    }

    @Override
    public void getCapacity(GetCapacityRequest request, StreamObserver<GetCapacityResponse> observer) {
        Calls.answer(observer, () -> {
            List<VolumeCapability> capabilities = request.getVolumeCapabilitiesList().stream()
                    .map(CsiRequests::capability).toList();
            CapacityOffer offer = backends.forParameters(request.getParametersMap()).capacity(
                    request.getParametersMap(), capabilities, request.getAccessibleTopology().getSegmentsMap());
            GetCapacityResponse.Builder response = GetCapacityResponse.newBuilder()
                    .setAvailableCapacity(offer.available().bytes());
            offer.maximumVolumeSize().ifPresent(max -> response.setMaximumVolumeSize(Int64Value.of(max.bytes())));
            offer.minimumVolumeSize().ifPresent(min -> response.setMinimumVolumeSize(Int64Value.of(min.bytes())));
            return response.build();
        });
    }

    @Override
    public void controllerExpandVolume(ControllerExpandVolumeRequest request,
            StreamObserver<ControllerExpandVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            if (!request.hasCapacityRange()) {
                throw new DriverError.InvalidArgument("capacity_range is required");
            }
            ExpansionResult result = backends.forVolume(id).expand(id,
                    CsiRequests.capacity(true, request.getCapacityRange()));
            return ControllerExpandVolumeResponse.newBuilder().setCapacityBytes(result.capacity().bytes())
                    .setNodeExpansionRequired(result.nodeExpansionRequired()).build();
        });
    }

    @Override
    public void createSnapshot(CreateSnapshotRequest request, StreamObserver<CreateSnapshotResponse> observer) {
        Calls.answer(observer, () -> {
            String source = CsiRequests.required("source_volume_id", request.getSourceVolumeId());
            String name = CsiRequests.name(request.getName());
            if (!request.getParametersMap().isEmpty()) {
                throw new DriverError.InvalidArgument("snapshot parameters are not supported (got "
                        + request.getParametersMap().keySet() + ")");
            }
            SnapshotSummary snapshot = backends.forVolume(source).createSnapshot(name, source);
            return CreateSnapshotResponse.newBuilder().setSnapshot(snapshot(snapshot)).build();
        });
    }

    @Override
    public void deleteSnapshot(DeleteSnapshotRequest request, StreamObserver<DeleteSnapshotResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("snapshot_id", request.getSnapshotId());
            backends.forSnapshot(id).deleteSnapshot(id);
            return DeleteSnapshotResponse.getDefaultInstance();
        });
    }

    @Override
    public void listSnapshots(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> observer) {
        Calls.answer(observer, () -> {
            Page<SnapshotSummary> page = backends.snapshots(request.getMaxEntries(), request.getStartingToken(),
                    request.getSnapshotId(), request.getSourceVolumeId());
            ListSnapshotsResponse.Builder response = ListSnapshotsResponse.newBuilder()
                    .setNextToken(page.nextToken());
            page.items().forEach(s -> response.addEntries(ListSnapshotsResponse.Entry.newBuilder()
                    .setSnapshot(snapshot(s))));
            return response.build();
        });
    }

    @Override
    public void controllerGetCapabilities(ControllerGetCapabilitiesRequest request,
            StreamObserver<ControllerGetCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> CAPABILITIES);
    }

    private static Volume volume(VolumeSummary summary) {
        Volume.Builder volume = Volume.newBuilder()
                .setVolumeId(summary.id())
                .setCapacityBytes(summary.capacity().bytes())
                .putAllVolumeContext(summary.context());
        summary.accessibleTopology().forEach(segments -> volume.addAccessibleTopology(
                dev.ordinal.csi.v1.Topology.newBuilder().putAllSegments(segments)));
        switch (summary.source()) {
            case ContentSource.FromSnapshot s -> volume.setContentSource(VolumeContentSource.newBuilder()
                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(s.snapshotId())));
            case ContentSource.FromVolume v -> volume.setContentSource(VolumeContentSource.newBuilder()
                    .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(v.volumeId())));
            case ContentSource.Empty e -> { }
        }
        return volume.build();
    }

    /** Every backend takes snapshots synchronously, so one that exists is always ready to use. */
    private static Snapshot snapshot(SnapshotSummary summary) {
        return Snapshot.newBuilder()
                .setSnapshotId(summary.id())
                .setSourceVolumeId(summary.sourceVolumeId())
                .setSizeBytes(summary.size().bytes())
                .setCreationTime(Timestamp.newBuilder().setSeconds(summary.createdAt().getEpochSecond())
                        .setNanos(summary.createdAt().getNano()))
                .setReadyToUse(true)
                .build();
    }

    private static ControllerGetCapabilitiesResponse capabilities(ControllerServiceCapability.RPC.Type... types) {
        ControllerGetCapabilitiesResponse.Builder builder = ControllerGetCapabilitiesResponse.newBuilder();
        for (ControllerServiceCapability.RPC.Type type : types) {
            builder.addCapabilities(ControllerServiceCapability.newBuilder()
                    .setRpc(ControllerServiceCapability.RPC.newBuilder().setType(type)));
        }
        return builder.build();
    }
}
