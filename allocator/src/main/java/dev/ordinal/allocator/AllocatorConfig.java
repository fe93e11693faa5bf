package dev.ordinal.allocator;

import dev.ordinal.allocator.model.Topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * @param zoneKey     label the zone spread rule reads
 * @param indexedKeys topology keys that get their own free-space index (besides the node key, which
 *                    is always resolved directly). Requisite/preferred segments on an indexed key
 *                    are answered in O(log n); other keys are filtered while walking a wider index.
 *                    The zone key is always indexed.
 * @param searchMode  INDEXED for production; FULL_SCAN visits every node on every decision and keeps
 *                    no indexes. It exists as the naive reference the benchmarks compare against.
 */
public record AllocatorConfig(String zoneKey, List<String> indexedKeys, SearchMode searchMode) {
    public enum SearchMode { INDEXED, FULL_SCAN }

    public AllocatorConfig {
        Objects.requireNonNull(zoneKey, "zoneKey");
        Objects.requireNonNull(searchMode, "searchMode");
        List<String> keys = new ArrayList<>();
        keys.add(zoneKey);
        for (String k : indexedKeys) {
            if (!keys.contains(k) && !k.equals(Topology.NODE_KEY)) {
                keys.add(k);
            }
        }
        indexedKeys = List.copyOf(keys);
    }

    public static AllocatorConfig defaults() {
        return new AllocatorConfig(Topology.DEFAULT_ZONE_KEY, List.of(), SearchMode.INDEXED);
    }

    public AllocatorConfig withZoneKey(String key) {
        return new AllocatorConfig(key, indexedKeys.subList(1, indexedKeys.size()), searchMode);
    }

    public AllocatorConfig withIndexedKeys(List<String> keys) {
        return new AllocatorConfig(zoneKey, keys, searchMode);
    }

    public AllocatorConfig withSearchMode(SearchMode mode) {
        return new AllocatorConfig(zoneKey, indexedKeys, mode);
    }
}
