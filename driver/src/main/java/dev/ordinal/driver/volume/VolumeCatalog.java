package dev.ordinal.driver.volume;

import dev.ordinal.driver.model.VolumeId;
import dev.ordinal.driver.model.VolumeRecord;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The volumes this driver serves, in memory: by CSI name (idempotent CreateVolume) and by id in order (ListVolumes
 * pages). It is rebuilt from the disks' metadata at start, so it is a cache of the durable truth, never the truth.
 */
final class VolumeCatalog {

    private final ConcurrentHashMap<String, VolumeRecord> byName = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, VolumeRecord> byId = new ConcurrentSkipListMap<>();

    void put(VolumeRecord record) {
        byName.put(record.csiName(), record);
        byId.put(record.id().toString(), record);
    }

    void remove(VolumeRecord record) {
        byName.remove(record.csiName(), record);
        byId.remove(record.id().toString());
    }

    Optional<VolumeRecord> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    Optional<VolumeRecord> byId(VolumeId id) {
        return Optional.ofNullable(byId.get(id.toString()));
    }

    /** Up to {@code max} volumes whose id sorts after {@code after} (null: from the start). */
    List<VolumeRecord> after(String after, int max) {
        var view = after == null ? byId : byId.tailMap(after, false);
        return view.values().stream().limit(max).toList();
    }

    boolean hasAfter(String id) {
        return byId.higherKey(id) != null;
    }

    int size() {
        return byId.size();
    }
}
