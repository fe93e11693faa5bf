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
    /**
     * whenScaled=Delete by annotation where Kubernetes' StatefulSet controller applies a spec saying whenScaled=Retain:
     * it would remove a Pod reference, so the scaled-down claim gets none and waits here for its Pod to be gone.
     */
    SCALED_DOWN_WAITS_FOR_POD,
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
    /** Snapshot-before-delete: every claim of the set carries the finalizer that keeps it until its snapshot is ready. */
    SNAPSHOT_FINALIZER,
    /** Snapshot-before-delete: a claim retention would delete is snapshotted first. */
    SNAPSHOT_BEFORE_DELETE,
    /**
     * Snapshot-before-delete: a scaled-down claim that another controller handed to the garbage collector (a Pod
     * reference) is snapshotted at once, before its Pod is gone: the snapshot controller will not start a snapshot
     * of a claim that is being deleted.
     */
    SNAPSHOT_BEFORE_GC,
    /** Snapshot-before-delete: someone deleted the claim; the finalizer keeps it until a snapshot is ready. */
    SNAPSHOT_CLAIM_DELETED,
    /** Snapshot-before-delete: the snapshot is not ready to use yet; the claim is kept. */
    SNAPSHOT_PENDING,
    /** Snapshot-before-delete: the snapshot reports an error; the claim is kept and the snapshot looked at again. */
    SNAPSHOT_FAILED,
    /** Snapshot-before-delete: the snapshot is ready to use; the claim may go. */
    SNAPSHOT_READY,
    /**
     * Snapshot-before-delete: a scaled-down claim is not handed to the garbage collector (no Pod reference); it is
     * snapshotted once its Pod is gone, so the snapshot holds everything the Pod wrote.
     */
    SNAPSHOT_WAITS_FOR_POD,
    /** Snapshot-before-delete was turned off: the finalizers are removed. */
    SNAPSHOT_OFF,
    /** The claim outlives its StatefulSet's deletion: its finalizer is not needed any more. */
    SNAPSHOT_NOT_NEEDED,
    /** The snapshot-before-delete annotation cannot be read: no claim of the set is deleted. */
    SNAPSHOT_INVALID,
}
