package dev.ordinal.contract.crd;

import dev.ordinal.contract.Api;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A snapshot taken by the node agent on the disk of its source volume; the controller writes the spec. */
@Group(Api.GROUP)
@Version(Api.VERSION)
@Kind("OrdinalSnapshot")
@Plural("ordinalsnapshots")
@Singular("ordinalsnapshot")
@ShortNames("osnap")
public class OrdinalSnapshot extends CustomResource<OrdinalSnapshot.Spec, OrdinalSnapshot.Status> {

    public static class Spec {
        public String snapshotName;
        public String snapshotId;
        public String sourceVolumeId;
        public String node;
        public String disk;
        public String layout;
        public long sizeBytes;
        public boolean block;
        public String fsType;
        public String createdAt;
    }

    public static class Status {
        /** Pending, Ready, Failed or Deleting. */
        public String phase;
        public boolean readyToUse;
        /** The {@link dev.ordinal.contract.failure.FailureCode} of a failure, which the controller re-raises. */
        public String code;
        public String message;
    }
}
