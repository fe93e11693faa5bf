package dev.ordinal.controller.kube;

/**
 * The identity the driver records in every volume's context (the PersistentVolume's
 * {@code spec.csi.volumeAttributes}): which ordinal of which StatefulSet template the volume was made for.
 */
final class VolumeIdentity {

    static final String NAMESPACE = "ordinal.csi.dev/namespace";
    static final String STATEFUL_SET = "ordinal.csi.dev/statefulset";
    static final String TEMPLATE = "ordinal.csi.dev/claim-template";
    static final String ORDINAL = "ordinal.csi.dev/ordinal";

    private VolumeIdentity() {
    }
}
