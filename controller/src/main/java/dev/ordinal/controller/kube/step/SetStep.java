package dev.ordinal.controller.kube.step;

import java.time.Instant;
import java.util.Optional;

/**
 * One concern of the StatefulSet reconcile (retention, ordered binding, ...). Each reconcile of a StatefulSet runs
 * every step in order on the same {@link StatefulSetView}; a step reads the caches, decides with a plain-Java plan,
 * and writes through its own writer. A step that throws is retried with the whole reconcile, after the other
 * steps had their turn, so one failing concern does not stall the others.
 */
public interface SetStep {

    /** A short name for logs and metrics. */
    String name();

    /** One pass; the instant this step wants to look again (a grace period, a wait), if any. */
    Optional<Instant> reconcile(StatefulSetView view) throws Exception;
}
