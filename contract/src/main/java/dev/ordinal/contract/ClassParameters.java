package dev.ordinal.contract;

/**
 * The StorageClass parameters that both sides read: the driver when it makes a volume, the companion controller when
 * it places or orders claims of the class ahead of the driver.
 */
public final class ClassParameters {

    /** image, subvolume or dir. */
    public static final String LAYOUT = "layout";
    public static final String FIT = "fitPolicy";
    public static final String SPREAD = "spread";
    /** {@code "true"}: claims of a StatefulSet are provisioned in ordinal order (admitted by the controller). */
    public static final String ORDERED_BINDING = "orderedBinding";
    /**
     * {@code "companion"}: a StatefulSet's claim of Immediate binding waits for the companion controller's placement
     * instead of being placed by the driver (two placers deciding at once do not see each other's choices).
     * {@code "driver"}, the default: a placement on the claim is honoured, and a claim without one is placed by the
     * driver.
     */
    public static final String PLACEMENT = "placement";
    /**
     * How long the data of a deleted StatefulSet volume is held on its disk before it is purged ({@code 10m},
     * {@code 1h30m}, {@code PT2H}; see {@link Durations}): a returning ordinal (same namespace, StatefulSet, claim
     * template and ordinal) gets it back meanwhile. Unset or {@code 0s}: deleted at once.
     */
    public static final String DELETE_GRACE = "deleteGrace";
    /** The NFS server: a class that names one puts volumes on a share, not on nodes' disks. */
    public static final String NFS_SERVER = "server";

    private ClassParameters() {
    }
}
