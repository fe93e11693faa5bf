package dev.ordinal.driver.backend;

import java.util.List;
import java.util.function.Function;

/**
 * One backend's part of a ListVolumes or ListSnapshots page: at most the page's limit of entries, in id order,
 * and whether the backend holds more after the last of them.
 */
public record Slice<T>(List<T> items, boolean more) {

    public Slice {
        items = List.copyOf(items);
    }

    /**
     * The first {@code limit} of {@code fetched}, which a backend read with one entry to spare so that it knows,
     * without a second look, whether more follow.
     */
    public static <T> Slice<T> ofOneMore(List<T> fetched, int limit) {
        return fetched.size() > limit ? new Slice<>(fetched.subList(0, limit), true) : new Slice<>(fetched, false);
    }

    /** The same slice with each entry mapped (a backend's records to the seam's summaries). */
    public <R> Slice<R> map(Function<? super T, ? extends R> mapper) {
        return new Slice<>(items.stream().<R>map(mapper).toList(), more);
    }

    /** How many entries to read for {@link #ofOneMore}: one more than the limit, when there is a limit. */
    public static int oneMore(int limit) {
        return limit == Integer.MAX_VALUE ? limit : limit + 1;
    }
}
