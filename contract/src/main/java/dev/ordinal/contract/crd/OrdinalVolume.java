package dev.ordinal.contract.crd;

import dev.ordinal.contract.Api;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The contract between the controller and a node agent for one volume: the controller writes the spec (where the
 * volume goes, how large, from what), the node agent makes it on its disk and writes the status. Cluster-scoped,
 * like the PersistentVolume it backs. The CRD with its printer columns is in deploy/crds/. Jackson maps these types
 * by reflection: each application registers them for its native executable (the driver's and the companion
 * controller's ContractReflection), as this plain module knows no Quarkus.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@Kind("OrdinalVolume")
@Plural("ordinalvolumes")
@Singular("ordinalvolume")
@ShortNames("ovol")
public class OrdinalVolume extends CustomResource<OrdinalVolume.Spec, OrdinalVolume.Status> {

    /** The node agent's finalizer: the resource stays until the data on the node is gone. */
    public static final String FINALIZER = Api.GROUP + "/data";
    /** Lets each node agent watch only its own volumes (and snapshots). */
    public static final String NODE_LABEL = Api.GROUP + "/node";
    /**
     * Set by the driver's controller on an OrdinalVolume or OrdinalSnapshot just before it deletes it (DeleteVolume,
     * DeleteSnapshot, or the removal of a failed creation). A node agent deletes data only for a resource being
     * deleted with this annotation: a resource deleted any other way (its CRD deleted, a {@code kubectl delete})
     * keeps its data and its finalizer, and the agent reports the refusal.
     */
    public static final String DELETION_REQUESTED = Api.GROUP + "/deletion-requested";

    /** What the controller asks for. */
    public static class Spec {
        public String volumeName;
        public String volumeId;
        public String node;
        public String disk;
        public String layout;
        public long sizeBytes;
        public boolean block;
        public String fsType;
        public java.util.Map<String, String> parameters;
        public String claimNamespace;
        public String claimName;
        public String persistentVolume;
        /** The StatefulSet claim group (template-statefulset) and ordinal, when the claim name has one. */
        public String statefulSet;
        public Integer ordinal;
        /** The StatefulSet ordinal the driver resolved when it made the volume; null when the claim is no ordinal's. */
        public Identity identity;
        public String sourceSnapshotId;
        public String sourceVolumeId;
        public String createdAt;
    }

    /** A volume's StatefulSet identity: the same four values as its volume_context's ordinal.csi.dev/ keys. */
    public static class Identity {
        public String namespace;
        public String statefulSet;
        public String claimTemplate;
        public int ordinal;
    }

    /** What the node agent reports. */
    public static class Status {
        /** Pending, Ready, Failed or Deleting. */
        public String phase;
        public String path;
        public long actualSizeBytes;
        /** The {@link dev.ordinal.contract.failure.FailureCode} of a failure, which the controller re-raises. */
        public String code;
        public String message;
        public Long observedGeneration;
    }
}
