package dev.ordinal.driver.csi;

import dev.ordinal.csi.v1.NodeExpandVolumeRequest;
import dev.ordinal.csi.v1.NodeExpandVolumeResponse;
import dev.ordinal.csi.v1.NodeGetCapabilitiesRequest;
import dev.ordinal.csi.v1.NodeGetCapabilitiesResponse;
import dev.ordinal.csi.v1.NodeGetInfoRequest;
import dev.ordinal.csi.v1.NodeGetInfoResponse;
import dev.ordinal.csi.v1.NodeGetVolumeStatsRequest;
import dev.ordinal.csi.v1.NodeGetVolumeStatsResponse;
import dev.ordinal.csi.v1.NodeGrpc;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodePublishVolumeResponse;
import dev.ordinal.csi.v1.NodeServiceCapability;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.NodeStageVolumeResponse;
import dev.ordinal.csi.v1.NodeUnpublishVolumeRequest;
import dev.ordinal.csi.v1.NodeUnpublishVolumeResponse;
import dev.ordinal.csi.v1.NodeUnstageVolumeRequest;
import dev.ordinal.csi.v1.NodeUnstageVolumeResponse;
import dev.ordinal.csi.v1.Topology;
import dev.ordinal.csi.v1.VolumeCondition;
import dev.ordinal.csi.v1.VolumeUsage;
import dev.ordinal.driver.backend.NodeRouter;
import dev.ordinal.driver.error.DriverError;
import dev.ordinal.driver.model.VolumeStats;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * CSI Node: check the request's fields, let the router choose the backend by volume id, and turn the backend's
 * answer into the gRPC response.
 */
public final class NodeService extends NodeGrpc.NodeImplBase {

    private static final NodeGetCapabilitiesResponse CAPABILITIES = capabilities(
            NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
            NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
            NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
            NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER,
            NodeServiceCapability.RPC.Type.EXPAND_VOLUME);

    private final NodeRouter backends;
    private final NodeGetInfoResponse info;

    public NodeService(NodeRouter backends, String nodeId, long maxVolumes, Map<String, String> topology) {
        this.backends = backends;
        this.info = NodeGetInfoResponse.newBuilder()
                .setNodeId(nodeId)
                .setMaxVolumesPerNode(maxVolumes)
                .setAccessibleTopology(Topology.newBuilder().putAllSegments(topology))
                .build();
    }

    @Override
    public void nodeStageVolume(NodeStageVolumeRequest request, StreamObserver<NodeStageVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            CsiRequests.required("staging_target_path", request.getStagingTargetPath());
            requireCapability(request.hasVolumeCapability());
            backends.forVolume(id).stage(id, request.getStagingTargetPath(),
                    CsiRequests.capability(request.getVolumeCapability()), request.getVolumeContextMap());
            return NodeStageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnstageVolume(NodeUnstageVolumeRequest request,
            StreamObserver<NodeUnstageVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            String staging = CsiRequests.required("staging_target_path", request.getStagingTargetPath());
            backends.forVolume(id).unstage(id, staging);
            return NodeUnstageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodePublishVolume(NodePublishVolumeRequest request,
            StreamObserver<NodePublishVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            CsiRequests.required("staging_target_path", request.getStagingTargetPath());
            CsiRequests.required("target_path", request.getTargetPath());
            requireCapability(request.hasVolumeCapability());
            backends.forVolume(id).publish(id, request.getStagingTargetPath(), request.getTargetPath(),
                    request.getReadonly(), CsiRequests.capability(request.getVolumeCapability()));
            return NodePublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnpublishVolume(NodeUnpublishVolumeRequest request,
            StreamObserver<NodeUnpublishVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            String target = CsiRequests.required("target_path", request.getTargetPath());
            backends.forVolume(id).unpublish(id, target);
            return NodeUnpublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeGetVolumeStats(NodeGetVolumeStatsRequest request,
            StreamObserver<NodeGetVolumeStatsResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            String path = CsiRequests.required("volume_path", request.getVolumePath());
            VolumeStats stats = backends.forVolume(id).stats(id, path);
            NodeGetVolumeStatsResponse.Builder response = NodeGetVolumeStatsResponse.newBuilder()
                    .setVolumeCondition(VolumeCondition.newBuilder().setAbnormal(stats.abnormal())
                            .setMessage(stats.condition()));
            response.addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES)
                    .setTotal(stats.totalBytes()).setAvailable(stats.availableBytes()).setUsed(stats.usedBytes()));
            if (!stats.block()) {
                response.addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.INODES)
                        .setTotal(stats.totalInodes()).setAvailable(stats.availableInodes())
                        .setUsed(stats.usedInodes()));
            }
            return response.build();
        });
    }

    @Override
    public void nodeExpandVolume(NodeExpandVolumeRequest request, StreamObserver<NodeExpandVolumeResponse> observer) {
        Calls.answer(observer, () -> {
            String id = CsiRequests.required("volume_id", request.getVolumeId());
            String path = CsiRequests.required("volume_path", request.getVolumePath());
            if (request.hasVolumeCapability()) {
                CsiRequests.capability(request.getVolumeCapability());
            }
            long bytes = backends.forVolume(id).expand(id, path, request.getCapacityRange().getRequiredBytes())
                    .bytes();
            return NodeExpandVolumeResponse.newBuilder().setCapacityBytes(bytes).build();
        });
    }

    @Override
    public void nodeGetCapabilities(NodeGetCapabilitiesRequest request,
            StreamObserver<NodeGetCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> CAPABILITIES);
    }

    @Override
    public void nodeGetInfo(NodeGetInfoRequest request, StreamObserver<NodeGetInfoResponse> observer) {
        Calls.answer(observer, () -> info);
    }

    private static void requireCapability(boolean present) {
        if (!present) {
            throw new DriverError.InvalidArgument("volume_capability is required");
        }
    }

    private static NodeGetCapabilitiesResponse capabilities(NodeServiceCapability.RPC.Type... types) {
        NodeGetCapabilitiesResponse.Builder builder = NodeGetCapabilitiesResponse.newBuilder();
        for (NodeServiceCapability.RPC.Type type : types) {
            builder.addCapabilities(NodeServiceCapability.newBuilder()
                    .setRpc(NodeServiceCapability.RPC.newBuilder().setType(type)));
        }
        return builder.build();
    }
}
