package dev.ordinal.controller.retention;

/** The rule behind each retention decision: KEP-1847's, and Ordinal's extensions. Tests are named after these. */
public enum Rule {
    /** KEP-1847: a claim controlled by something other than this StatefulSet or its Pod is not touched. */
    FOREIGN_CONTROLLER,
    /** KEP-1847: a reference to an earlier StatefulSet of the same name (another uid) is not touched. */
    STALE_OWNER,
    /** Nothing while the StatefulSet is being deleted: an orphaning delete removes the references first. */
    SET_DELETING,
    /** The claim is being deleted already. */
    CLAIM_DELETING,
    /** whenDeleted=Delete: the StatefulSet is the claim's controller (not while it is scaled down under whenScaled=Delete). */
    WHEN_DELETED_DELETE,
    /** Retain: no references of ours; a policy changed back to Retain removes them. */
    RETAIN,
    /** whenScaled=Delete: a scaled-down claim's controller is its condemned Pod (and not the StatefulSet). */
    WHEN_SCALED_DELETE,
    /** whenScaled=Delete: a scaled-down claim whose Pod is gone is deleted (what the garbage collector does). */
    SCALED_DOWN_POD_GONE,
    /** whenDeleted=Delete: a claim controlled by a deleted StatefulSet (cascading delete) is deleted. */
    SET_GONE,
    /** A claim of a deleted StatefulSet that still has other owners, or none of ours, is kept. */
    SET_GONE_KEPT,
    /** Ordinals below the start ordinal are never scaled down by retention. */
    BELOW_START,
    /** Extension: the grace period of a scaled-down claim starts. */
    GRACE_STARTED,
    /** Extension: the grace period runs; the claim is kept as if it were in range. */
    GRACE_RUNNING,
    /** Extension: the StatefulSet scaled back up (or the policy changed) before the grace period ended. */
    GRACE_CANCELLED,
    /** Extension: the grace annotation cannot be read, so no scaled-down claim is deleted. */
    GRACE_INVALID,
}
