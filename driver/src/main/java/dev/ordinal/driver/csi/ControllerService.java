package dev.ordinal.driver.csi;

import dev.ordinal.allocator.model.Topology;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesRequest;
import dev.ordinal.csi.v1.ControllerGetCapabilitiesResponse;
import dev.ordinal.csi.v1.ControllerGrpc;
import dev.ordinal.csi.v1.ControllerServiceCapability;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.CreateVolumeResponse;
import dev.ordinal.csi.v1.DeleteVolumeRequest;
import dev.ordinal.csi.v1.DeleteVolumeResponse;
import dev.ordinal.csi.v1.GetCapacityRequest;
import dev.ordinal.csi.v1.GetCapacityResponse;
import dev.ordinal.csi.v1.ListVolumesRequest;
import dev.ordinal.csi.v1.ListVolumesResponse;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.ordinal.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.ordinal.csi.v1.Volume;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.VolumeCapability;
import dev.ordinal.driver.model.VolumeRecord;
import dev.ordinal.driver.volume.CapacityOffer;
import dev.ordinal.driver.volume.CreateVolumeSpec;
import dev.ordinal.driver.volume.VolumePage;
import dev.ordinal.driver.volume.VolumeParameters;
import dev.ordinal.driver.volume.VolumeService;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;

/** CSI Controller: validate the request, hand it to the volume service, translate the answer. */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {

    private static final ControllerGetCapabilitiesResponse CAPABILITIES = capabilities(
            ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
            ControllerServiceCapability.RPC.Type.LIST_VOLUMES,
            ControllerServiceCapability.RPC.Type.GET_CAPACITY,
            ControllerServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER);

    private final VolumeService volumes;

    public ControllerService(VolumeService volumes) {
        this.volumes = volumes;
    }

    @Override
    public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            if (request.hasVolumeContentSource()) {
                throw new DriverError.InvalidArgument("volume_content_source is not supported yet: this driver does "
                        + "not advertise CLONE_VOLUME or CREATE_DELETE_SNAPSHOT");
            }
            CreateVolumeSpec spec = new CreateVolumeSpec(CsiRequests.name(request.getName()),
                    CsiRequests.capacity(request.hasCapacityRange(), request.getCapacityRange()),
                    CsiRequests.capabilities(request.getVolumeCapabilitiesList()), request.getParametersMap(),
                    CsiRequests.topology(request.hasAccessibilityRequirements(),
                            request.getAccessibilityRequirements()));
            return CreateVolumeResponse.newBuilder().setVolume(volume(volumes.create(spec))).build();
        });
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            volumes.delete(CsiRequests.required("volume_id", request.getVolumeId()));
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
            if (problem.isPresent()) {
                return ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(problem.get()).build();
            }
            return ValidateVolumeCapabilitiesResponse.newBuilder()
                    .setConfirmed(ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                            .putAllVolumeContext(request.getVolumeContextMap())
                            .addAllVolumeCapabilities(request.getVolumeCapabilitiesList())
                            .putAllParameters(request.getParametersMap()))
                    .build();
        });
    }

    @Override
    public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> observer) {
        Calls.answer(observer, () -> {
            VolumePage page = volumes.list(request.getMaxEntries(), request.getStartingToken());
            ListVolumesResponse.Builder response = ListVolumesResponse.newBuilder().setNextToken(page.nextToken());
            for (VolumeRecord record : page.volumes()) {
                response.addEntries(ListVolumesResponse.Entry.newBuilder().setVolume(volume(record)));
            }
            return response.build();
        });
    }

    @Override
    public void getCapacity(GetCapacityRequest request, StreamObserver<GetCapacityResponse> observer) {
        Calls.answer(observer, () -> {
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
    public void controllerGetCapabilities(ControllerGetCapabilitiesRequest request,
            StreamObserver<ControllerGetCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> CAPABILITIES);
    }

    static Volume volume(VolumeRecord record) {
        return Volume.newBuilder()
                .setVolumeId(record.id().toString())
                .setCapacityBytes(record.capacity().bytes())
                .putVolumeContext(VolumeParameters.LAYOUT, record.layout().wireName())
                .addAccessibleTopology(dev.ordinal.csi.v1.Topology.newBuilder()
                        .putSegments(Topology.NODE_KEY, record.id().node()))
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
