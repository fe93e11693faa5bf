package dev.ordinal.contract;

/**
 * The annotation keys of Ordinal's API, grouped by the object that carries them. The claim annotations are the
 * protocol between the companion controller (which writes them) and the driver's CreateVolume (which reads them);
 * the StatefulSet annotations are what users write.
 */
public final class Annotations {

    // On a PersistentVolumeClaim.

    /** {@code "true"}: ordered binding lets the claim be provisioned now. Written by the controller. */
    public static final String ADMITTED = Api.GROUP + "/admitted";
    /** {@code <node>/<disk>}: the controller's allocator decision for Immediate binding, honoured by the driver. */
    public static final String PLACEMENT = Api.GROUP + "/placement";
    /** {@value #REBIND_SKIPPED} when the controller decided not to rebind a Released volume of the claim's ordinal. */
    public static final String REBIND = Api.GROUP + "/rebind";
    public static final String REBIND_SKIPPED = "skipped";
    /** When retention first saw the claim scaled down (its grace period is running). */
    public static final String SCALED_DOWN_SINCE = Api.GROUP + "/scaled-down-since";

    // On a StatefulSet.

    /** {@code "true"} asks for ordered binding whatever the StorageClass says; {@code "false"} opts out. */
    public static final String ORDERED_BINDING = Api.GROUP + "/ordered-binding";
    /** How long scaled-down claims wait before they are deleted. */
    public static final String SCALE_DOWN_GRACE = Api.GROUP + "/scale-down-grace";
    /** The retention policy, where the API server drops the spec field (feature gate off). */
    public static final String WHEN_DELETED = Api.GROUP + "/when-deleted";
    public static final String WHEN_SCALED = Api.GROUP + "/when-scaled";
    /** How long a node may be gone before its ordinals' local claims are released. */
    public static final String NODE_LOSS_TIMEOUT = Api.GROUP + "/node-loss-timeout";
    /**
     * A snapshot of each claim before retention deletes it; also the finalizer the controller puts on the
     * StatefulSet and its claims while the annotation is on.
     */
    public static final String SNAPSHOT_BEFORE_DELETE = Api.GROUP + "/snapshot-before-delete";
    /**
     * {@code <prefix><template>: <size>} asks for every claim of that template to be grown to the size, one ordinal
     * after the other ({@code ordinal.csi.dev/claim-size.data: 40Gi}).
     */
    public static final String CLAIM_SIZE_PREFIX = Api.GROUP + "/claim-size.";
    /**
     * {@code <prefix><template>}: the growth's progress, written by the controller as JSON (size, done, total, the
     * ordinals in flight, state, and the reason it stopped).
     */
    public static final String CLAIM_SIZE_STATUS_PREFIX = Api.GROUP + "/claim-size-status.";
    /** {@code "true"}: no claim starts growing (those in flight finish); removing it resumes. */
    public static final String CLAIM_SIZE_PAUSED = Api.GROUP + "/claim-size-paused";
    /** How many claims may grow at once (default 1). */
    public static final String CLAIM_SIZE_AT_ONCE = Api.GROUP + "/claim-size-at-once";

    private Annotations() {
    }
}
