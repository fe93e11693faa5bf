package dev.ordinal.controller.nodeloss;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * What the controller knows of one node: Ready, not Ready (its Ready condition False or Unknown, or missing), or
 * gone (the Node object deleted). {@code since} is when it stopped being Ready: the Ready condition's
 * lastTransitionTime, or, where the API gives no time (a deleted Node, a node without the condition), when this
 * controller first saw it so; empty while Ready.
 */
public record NodeState(String name, Condition condition, Optional<Instant> since) {

    public enum Condition {
        READY, NOT_READY, GONE
    }

    public NodeState {
        if (condition != Condition.READY && since.isEmpty()) {
            throw new IllegalArgumentException("node " + name + " is " + condition + " without a time");
        }
    }

    public static NodeState ready(String name) {
        return new NodeState(name, Condition.READY, Optional.empty());
    }

    public static NodeState notReady(String name, Instant since) {
        return new NodeState(name, Condition.NOT_READY, Optional.of(since));
    }

    public static NodeState gone(String name, Instant since) {
        return new NodeState(name, Condition.GONE, Optional.of(since));
    }

    /** "node n1, not Ready since ...", "node n1, deleted, missing since ...": for Events, to the second. */
    public String describe() {
        return switch (condition) {
            case READY -> "node " + name + ", Ready";
            case NOT_READY -> "node " + name + ", not Ready since " + since.orElseThrow().truncatedTo(ChronoUnit.SECONDS);
            case GONE -> "node " + name + ", deleted, missing since " + since.orElseThrow().truncatedTo(ChronoUnit.SECONDS);
        };
    }
}
