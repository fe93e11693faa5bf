package dev.ordinal.driver.cluster;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;
import java.util.Map;

/**
 * One node's storage as its agent reports it: topology labels and disks with capacity, layouts and health. The
 * spec is the operator's: {@code cordoned} stops new volumes landing on the node.
 */
// Jackson (through fabric8) reads and writes these by reflection; registered explicitly for the native
// executable rather than left to the Kubernetes client extension's scan (NativeConfigurationTest checks it).
@RegisterForReflection
@Group(OrdinalVolume.GROUP)
@Version("v1alpha1")
@Kind("OrdinalNode")
@Plural("ordinalnodes")
@Singular("ordinalnode")
@ShortNames("onode")
public class OrdinalNode extends CustomResource<OrdinalNode.Spec, OrdinalNode.Status> {

    @RegisterForReflection
    public static class Spec {
        public boolean cordoned;
    }

    @RegisterForReflection
    public static class Status {
        public Map<String, String> topology;
        public List<DiskStatus> disks;
        /** When the agent last reported; the controller treats a silent node as unschedulable. */
        public String heartbeat;
    }

    @RegisterForReflection
    public static class DiskStatus {
        public String name;
        public String path;
        public String filesystem;
        public List<String> layouts;
        public long capacityBytes;
        public long allocatableBytes;
        public boolean healthy;
    }
}
