package dev.ordinal.driver.backend;

import dev.ordinal.allocator.model.Capacity;
import dev.ordinal.driver.model.ContentSource;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A volume as the CO is told about it, whichever backend holds it: what CreateVolume and ListVolumes answer.
 * {@code context} goes into the PersistentVolume's volumeAttributes and comes back with every node call;
 * {@code accessibleTopology} is empty for a volume that every node can reach.
 */
public record VolumeSummary(String id, Capacity capacity, Map<String, String> context, ContentSource source,
        List<Map<String, String>> accessibleTopology) {

    public VolumeSummary {
        context = Collections.unmodifiableMap(new LinkedHashMap<>(context));
        source = source == null ? ContentSource.NONE : source;
        accessibleTopology = List.copyOf(accessibleTopology);
    }
}
