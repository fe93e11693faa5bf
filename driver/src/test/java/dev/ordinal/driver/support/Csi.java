package dev.ordinal.driver.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ordinal.csi.v1.CapacityRange;
import dev.ordinal.csi.v1.CreateVolumeRequest;
import dev.ordinal.csi.v1.NodePublishVolumeRequest;
import dev.ordinal.csi.v1.NodeStageVolumeRequest;
import dev.ordinal.csi.v1.VolumeCapability;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/** Request builders and status assertions shared by the driver tests. */
public final class Csi {

    public static final long MIB = 1024 * 1024;

    private Csi() {
    }

    public static VolumeCapability mount(String fsType) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
                .build();
    }

    public static VolumeCapability block() {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
                .build();
    }

    public static CreateVolumeRequest create(String name, long bytes, String layout, VolumeCapability capability) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .addVolumeCapabilities(capability)
                .putAllParameters(Map.of("layout", layout))
                .build();
    }

    public static NodeStageVolumeRequest stage(String volumeId, Path staging, VolumeCapability capability) {
        return NodeStageVolumeRequest.newBuilder().setVolumeId(volumeId)
                .setStagingTargetPath(staging.toString()).setVolumeCapability(capability).build();
    }

    public static NodePublishVolumeRequest publish(String volumeId, Path staging, Path target,
            VolumeCapability capability, boolean readOnly) {
        return NodePublishVolumeRequest.newBuilder().setVolumeId(volumeId)
                .setStagingTargetPath(staging.toString()).setTargetPath(target.toString())
                .setVolumeCapability(capability).setReadonly(readOnly).build();
    }

    /** Asserts that the call fails with {@code code}, and returns the message for further checks. */
    public static String assertStatus(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), () -> "status of a call that failed with: "
                + e.getStatus().getDescription());
        return e.getStatus().getDescription();
    }
}
