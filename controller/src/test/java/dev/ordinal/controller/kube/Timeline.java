package dev.ordinal.controller.kube;

import java.util.ArrayList;
import java.util.List;

/** What happened in a test, in the order it happened, from every emulator and watch: for ordering assertions. */
final class Timeline {

    private final List<String> entries = new ArrayList<>();

    synchronized void add(String entry) {
        entries.add(entry);
    }

    synchronized List<String> entries() {
        return List.copyOf(entries);
    }

    /** The position of the first entry equal to {@code entry}, or -1. */
    synchronized int indexOf(String entry) {
        return entries.indexOf(entry);
    }
}
