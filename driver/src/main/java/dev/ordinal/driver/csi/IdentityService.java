package dev.ordinal.driver.csi;

import com.google.protobuf.BoolValue;
import dev.ordinal.contract.Api;
import dev.ordinal.csi.v1.GetPluginCapabilitiesRequest;
import dev.ordinal.csi.v1.GetPluginCapabilitiesResponse;
import dev.ordinal.csi.v1.GetPluginInfoRequest;
import dev.ordinal.csi.v1.GetPluginInfoResponse;
import dev.ordinal.csi.v1.IdentityGrpc;
import dev.ordinal.csi.v1.PluginCapability;
import dev.ordinal.csi.v1.ProbeRequest;
import dev.ordinal.csi.v1.ProbeResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.BooleanSupplier;

/** CSI Identity: who the plugin is, what it offers, and whether it is ready (every configured disk usable). */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {

    public static final String DRIVER_NAME = Api.DRIVER_NAME;

    private final GetPluginInfoResponse info;
    private final GetPluginCapabilitiesResponse capabilities;
    private final ProbeResponse ready = ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build();
    private final ProbeResponse notReady = ProbeResponse.newBuilder().setReady(BoolValue.of(false)).build();
    private final BooleanSupplier disksUsable;

    public IdentityService(String version, boolean controller, BooleanSupplier disksUsable) {
        this.disksUsable = disksUsable;
        this.info = GetPluginInfoResponse.newBuilder().setName(DRIVER_NAME).setVendorVersion(version).build();
        GetPluginCapabilitiesResponse.Builder caps = GetPluginCapabilitiesResponse.newBuilder();
        if (controller) {
            caps.addCapabilities(service(PluginCapability.Service.Type.CONTROLLER_SERVICE));
        }
        caps.addCapabilities(service(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS));
        // Volumes grow while in use: image filesystems grow mounted (ext4 at the next stage where the kernel
        // refuses), subvolume limits rise at once.
        caps.addCapabilities(PluginCapability.newBuilder().setVolumeExpansion(PluginCapability.VolumeExpansion
                .newBuilder().setType(PluginCapability.VolumeExpansion.Type.ONLINE)).build());
        this.capabilities = caps.build();
    }

    @Override
    public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> observer) {
        Calls.answer(observer, () -> info);
    }

    @Override
    public void getPluginCapabilities(GetPluginCapabilitiesRequest request,
            StreamObserver<GetPluginCapabilitiesResponse> observer) {
        Calls.answer(observer, () -> capabilities);
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
        Calls.answer(observer, () -> disksUsable.getAsBoolean() ? ready : notReady);
    }

    private static PluginCapability service(PluginCapability.Service.Type type) {
        return PluginCapability.newBuilder().setService(PluginCapability.Service.newBuilder().setType(type)).build();
    }
}
