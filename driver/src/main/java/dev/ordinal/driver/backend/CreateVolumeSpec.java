package dev.ordinal.driver.backend;

import dev.ordinal.allocator.model.TopologyRequirement;
import dev.ordinal.driver.model.CapacityRange;
import dev.ordinal.driver.model.ContentSource;
import dev.ordinal.driver.model.VolumeCapability;
import java.util.List;
import java.util.Map;

/** A CreateVolume as the volume service sees it: already free of gRPC types, fields present. */
public record CreateVolumeSpec(String name, CapacityRange capacity, List<VolumeCapability> capabilities,
        Map<String, String> parameters, TopologyRequirement topology, ContentSource source) {

    public CreateVolumeSpec {
        capabilities = List.copyOf(capabilities);
        parameters = Map.copyOf(parameters);
        source = source == null ? ContentSource.NONE : source;
    }
}
