package dev.ordinal.contract;

/**
 * The name everything of Ordinal's is known by in Kubernetes: the CSI driver's name, which is also the API group of
 * its custom resources and the prefix of its annotation and label keys.
 */
public final class Api {

    /** The CSI driver's name (a StorageClass's provisioner, a PersistentVolume's csi.driver). */
    public static final String DRIVER_NAME = "ordinal.csi.dev";
    /** The API group of OrdinalVolume, OrdinalSnapshot and OrdinalNode (deploy/crds/). */
    public static final String GROUP = DRIVER_NAME;
    public static final String VERSION = "v1alpha1";
    public static final String API_VERSION = GROUP + "/" + VERSION;

    private Api() {
    }
}
