package dev.ordinal.driver.volume;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * Volumes or snapshots in memory: by CSI name (idempotent creation) and by id in order (paged listing). It is
 * rebuilt from the disks' metadata at start, so it is a cache of the durable truth, never the truth.
 */
final class Catalog<R> {

    private final Function<R, String> nameOf;
    private final Function<R, String> idOf;
    private final ConcurrentHashMap<String, R> byName = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<String, R> byId = new ConcurrentSkipListMap<>();

    Catalog(Function<R, String> nameOf, Function<R, String> idOf) {
        this.nameOf = nameOf;
        this.idOf = idOf;
    }

    void put(R record) {
        byName.put(nameOf.apply(record), record);
        byId.put(idOf.apply(record), record);
    }

    void remove(R record) {
        byName.remove(nameOf.apply(record), record);
        byId.remove(idOf.apply(record));
    }

    Optional<R> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    Optional<R> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Up to {@code max} entries whose id sorts after {@code after} (null: from the start). */
    List<R> after(String after, int max) {
        var view = after == null ? byId : byId.tailMap(after, false);
        return view.values().stream().limit(max).toList();
    }

    boolean hasAfter(String id) {
        return byId.higherKey(id) != null;
    }

    List<R> all() {
        return List.copyOf(byId.values());
    }

    int size() {
        return byId.size();
    }
}
