package dev.ordinal.controller.nodeloss;

import dev.ordinal.contract.Durations;
import java.time.Duration;
import java.time.Instant;

/** A node gone for longer than a StatefulSet's node-loss timeout, with what an Event needs to explain it. */
public record LostNode(NodeState node, Duration timeout, Instant now) {

    public String name() {
        return node.name();
    }

    public Instant since() {
        return node.since().orElseThrow();
    }

    /** E.g. "node n1, not Ready since 2026-01-01T00:00:00Z (12m ago; node-loss-timeout 10m)". */
    public String describe() {
        return node.describe() + " (" + Durations.format(Duration.between(since(), now)) + " ago; node-loss-timeout "
                + Durations.format(timeout) + ")";
    }
}
