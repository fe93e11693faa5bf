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
    /** The NFS server: a class that names one puts volumes on a share, not on nodes' disks. */
    public static final String NFS_SERVER = "server";

    private ClassParameters() {
    }
}
