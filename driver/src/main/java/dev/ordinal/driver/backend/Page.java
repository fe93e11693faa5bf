package dev.ordinal.driver.backend;

import java.util.List;

/** One page of ListVolumes or ListSnapshots across every backend, and the token for the next (empty: the last). */
public record Page<T>(List<T> items, String nextToken) {

    public Page {
        items = List.copyOf(items);
    }
}
