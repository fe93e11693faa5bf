package dev.ordinal.driver.cluster;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A snapshot taken by the node agent on the disk of its source volume; the controller writes the spec. */
// Jackson (through fabric8) reads and writes these by reflection; registered explicitly for the native
// executable rather than left to the Kubernetes client extension's scan (NativeConfigurationTest checks it).
@RegisterForReflection
@Group(OrdinalVolume.GROUP)
@Version("v1alpha1")
@Kind("OrdinalSnapshot")
@Plural("ordinalsnapshots")
@Singular("ordinalsnapshot")
@ShortNames("osnap")
public class OrdinalSnapshot extends CustomResource<OrdinalSnapshot.Spec, OrdinalSnapshot.Status> {

    @RegisterForReflection
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

    @RegisterForReflection
    public static class Status {
        /** Pending, Ready, Failed or Deleting. */
        public String phase;
        public boolean readyToUse;
        public String code;
        public String message;
    }
}
