package dev.ordinal.driver.csi;

import dev.ordinal.allocator.model.Topology;
import com.google.protobuf.Timestamp;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.csi.v1.ControllerExpandVolumeRequest;
import dev.ordinal.csi.v1.ControllerExpandVolumeResponse;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesRequest;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesResponse;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.ControllerServiceCapability;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.CreateVolumeResponse;
import dev.ordinal.csi.v1.CreateSnapshotRequest;
import dev.ordinal.csi.v1.CreateSnapshotResponse;
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
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.ordinal.csi.v1.Snapshot;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.csi.v1.VolumeContentSource;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.SnapshotRecord;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.nfs.NfsVolumeService;
import dev.ordinal.driver.volume.CapacityOffer;
import dev.ordinal.driver.volume.CreateVolumeSpec;
import dev.ordinal.driver.volume.ExpansionResult;
import dev.ordinal.driver.volume.SnapshotService;
import dev.ordinal.driver.volume.VolumeParameters;
import dev.ordinal.driver.volume.VolumeService;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;

/**
 * CSI Controller: validate the request, hand it to the volume service, translate the answer. NFS volumes go to
 * {@link NfsController}: CreateVolume and GetCapacity when the parameters name a server, the rest by id prefix.
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

    private final VolumeService volumes;
    private final SnapshotService snapshots;
    private final NfsController nfs;

    public ControllerService(VolumeService volumes, SnapshotService snapshots, NfsVolumeService nfs) {
        this.volumes = volumes;
        this.snapshots = snapshots;
        this.nfs = new NfsController(nfs);
    }

    @Override
    public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            if (NfsController.isNfs(request.getParametersMap())) {
                return CreateVolumeResponse.newBuilder().setVolume(nfs.create(request)).build();
            }
            CreateVolumeSpec spec = new CreateVolumeSpec(CsiRequests.name(request.getName()),
                    CsiRequests.capacity(request.hasCapacityRange(), request.getCapacityRange()),
                    CsiRequests.capabilities(request.getVolumeCapabilitiesList()), request.getParametersMap(),
                    CsiRequests.topology(request.hasAccessibilityRequirements(),
                            request.getAccessibilityRequirements()),
                    CsiRequests.contentSource(request.hasVolumeContentSource(), request.getVolumeContentSource()));
            return CreateVolumeResponse.newBuilder().setVolume(volume(volumes.create(spec))).build();
        });
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            if (NfsController.isVolume(id)) {
                nfs.delete(id);
                return DeleteVolumeResponse.getDefaultInstance();
            }
            volumes.delete(id);
            return DeleteVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest request,
            StreamObserver<ValidateVolumeCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            if (request.getVolumeCapabilitiesCount() == 0) {
                throw new DriverError.InvalidArgument("volume_capabilities is required");
            }
            if (NfsController.isVolume(id)) {
                return nfs.validate(request);
            }
            VolumeRecord record = volumes.get(id);
            List<VolumeCapability> capabilities = CsiRequests.capabilities(request.getVolumeCapabilitiesList());
            Optional<String> problem = volumes.unsupported(record, capabilities);
            if (problem.isEmpty() && !request.getParametersMap().isEmpty()) {
                VolumeParameters asked = VolumeParameters.parse(request.getParametersMap());
                if (!asked.defining().equals(record.parameters())) {
                    problem = Optional.of("volume " + record.id() + " was made with parameters " + record.parameters()
                            + ", not " + asked.defining());
                }
            }
            return validation(request, problem);
        });
    }

    /** ValidateVolumeCapabilities' answer: the request confirmed as asked, or the reason it cannot be. */
    static ValidateVolumeCapabilitiesResponse validation(ValidateVolumeCapabilitiesRequest request,
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
        Calls.answer(observer, () -> nfs.listVolumes(volumes, request.getMaxEntries(), request.getStartingToken()));
    }

    @Override
    public void getCapacity(GetCapacityRequest request, StreamObserver<GetCapacityResponse> observer) {
        Calls.answer(observer, () -> {
            if (NfsController.isNfs(request.getParametersMap())) {
                return nfs.capacity(request.getParametersMap());
            }
            List<VolumeCapability> capabilities = request.getVolumeCapabilitiesList().stream()
                    .map(CsiRequests::capability).toList();
            if (capabilities.stream().anyMatch(c -> !c.mode().singleNode())) {
                // No local volume can serve several nodes: there is no capacity for such a claim anywhere.
                return GetCapacityResponse.newBuilder().setAvailableCapacity(0).build();
            }
            CapacityOffer offer = volumes.capacity(request.getParametersMap(),
                    request.getAccessibleTopology().getSegmentsMap());
            return GetCapacityResponse.newBuilder()
                    .setAvailableCapacity(offer.available().bytes())
                    .setMaximumVolumeSize(com.google.protobuf.Int64Value.of(offer.maximumVolumeSize().bytes()))
                    .setMinimumVolumeSize(com.google.protobuf.Int64Value.of(offer.minimumVolumeSize().bytes()))
                    .build();
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
            if (NfsController.isVolume(id)) {
                return nfs.expand(id, request.getCapacityRange());
            }
            ExpansionResult result = volumes.expand(id,
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
            if (NfsController.isVolume(source)) {
                return CreateSnapshotResponse.newBuilder().setSnapshot(nfs.createSnapshot(name, source)).build();
            }
            return CreateSnapshotResponse.newBuilder().setSnapshot(snapshot(snapshots.create(name, source))).build();
        });
    }

    @Override
    public void deleteSnapshot(DeleteSnapshotRequest request, StreamObserver<DeleteSnapshotResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("snapshot_id", request.getSnapshotId());
            if (NfsController.isSnapshot(id)) {
                nfs.deleteSnapshot(id);
                return DeleteSnapshotResponse.getDefaultInstance();
            }
            snapshots.delete(id);
            return DeleteSnapshotResponse.getDefaultInstance();
        });
    }

    @Override
    public void listSnapshots(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> observer) {
        Calls.answer(observer, () -> nfs.listSnapshots(snapshots, request.getMaxEntries(),
                request.getStartingToken(), request.getSnapshotId(), request.getSourceVolumeId()));
    }

    @Override
    public void controllerGetCapabilities(ControllerGetCapabilitiesRequest request,
            StreamObserver<ControllerGetCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> CAPABILITIES);
    }

    static Volume volume(VolumeRecord record) {
        Volume.Builder volume = Volume.newBuilder()
                .setVolumeId(record.id().toString())
                .setCapacityBytes(record.capacity().bytes())
                .putVolumeContext(VolumeParameters.LAYOUT, record.layout().wireName())
                // The ordinal the volume was made for: external-provisioner copies the context into the
                // PersistentVolume's volumeAttributes, where the companion controller finds it after release.
                .putAllVolumeContext(record.identity().map(VolumeIdentity::context).orElse(java.util.Map.of()))
                .addAccessibleTopology(dev.ordinal.csi.v1.Topology.newBuilder()
                        .putSegments(Topology.NODE_KEY, record.id().node()));
        switch (record.source()) {
            case ContentSource.FromSnapshot s -> volume.setContentSource(VolumeContentSource.newBuilder()
                    .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(s.snapshotId())));
            case ContentSource.FromVolume v -> volume.setContentSource(VolumeContentSource.newBuilder()
                    .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(v.volumeId())));
            case ContentSource.Empty e -> { }
        }
        return volume.build();
    }

    /** Snapshots are taken synchronously, so one that exists is always ready to use. */
    static Snapshot snapshot(SnapshotRecord record) {
        return Snapshot.newBuilder()
                .setSnapshotId(record.id().toString())
                .setSourceVolumeId(record.source().toString())
                .setSizeBytes(record.size().bytes())
                .setCreationTime(Timestamp.newBuilder().setSeconds(record.createdAt().getEpochSecond())
                        .setNanos(record.createdAt().getNano()))
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
