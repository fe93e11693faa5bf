package dev.ordinal.contract.crd;

import dev.ordinal.contract.Api;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One node's storage as its agent reports it: topology labels and disks with capacity, layouts and health. The
 * spec is the operator's: {@code cordoned} stops new volumes landing on the node. How a report is read is decided
 * here, once, for both readers (the driver's NodeDirectory and the companion controller's placement): see
 * {@link #reported()}, {@link #cordoned()} and {@link DiskStatus#offeredBytes()}.
 */
@Group(Api.GROUP)
@Version(Api.VERSION)
@Kind("OrdinalNode")
@Plural("ordinalnodes")
@Singular("ordinalnode")
@ShortNames("onode")
public class OrdinalNode extends CustomResource<OrdinalNode.Spec, OrdinalNode.Status> {

    /**
     * Whether the agent has reported its disks: a node without them is left out of placement altogether (it is not
     * a node with no room, which would still count for spreading).
     */
    public boolean reported() {
        return getStatus() != null && getStatus().disks != null;
    }

    /** Whether the operator stopped new volumes landing here. */
    public boolean cordoned() {
        return getSpec() != null && getSpec().cordoned;
    }

    public static class Spec {
        public boolean cordoned;

        @Override
        public boolean equals(Object other) {
            return other instanceof Spec that && cordoned == that.cordoned;
        }

        @Override
        public int hashCode() {
            return Boolean.hashCode(cordoned);
        }
    }

    public static class Status {
        public Map<String, String> topology;
        public List<DiskStatus> disks;
        /**
         * When the agent last reported (each resync), for people: {@code kubectl get onode} prints it. Placement
         * does not read it: a node whose host is gone shows as a Kubernetes Node that is not Ready, which the
         * companion controller's placement reads, and a volume asked of a silent agent is answered ABORTED after
         * the driver's ready timeout.
         */
        public String heartbeat;
    }

    public static class DiskStatus {
        public String name;
        public String path;
        public String filesystem;
        public List<String> layouts;
        public long capacityBytes;
        /** What the agent counts free: its capacity less its volumes and snapshots; absent means none taken. */
        public Long allocatableBytes;
        public boolean healthy;

        /** The bytes the disk offers volumes: an unhealthy disk keeps its volumes but takes no new ones. */
        public long offeredBytes() {
            return healthy ? Math.max(0, capacityBytes) : 0;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof DiskStatus that && capacityBytes == that.capacityBytes && healthy == that.healthy
                    && Objects.equals(name, that.name) && Objects.equals(path, that.path)
                    && Objects.equals(filesystem, that.filesystem) && Objects.equals(layouts, that.layouts)
                    && Objects.equals(allocatableBytes, that.allocatableBytes);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, path, filesystem, layouts, capacityBytes, allocatableBytes, healthy);
        }
    }
}
