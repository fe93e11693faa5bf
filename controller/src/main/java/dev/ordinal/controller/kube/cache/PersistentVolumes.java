package dev.ordinal.controller.kube.cache;

import dev.ordinal.allocator.model.Topology;
import dev.ordinal.contract.Api;
import dev.ordinal.contract.claim.VolumeIdentity;
import dev.ordinal.controller.model.OrdinalClaim;
import dev.ordinal.controller.rebind.Size;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the controller reads from a PersistentVolume of Ordinal's: its identity, its node, its sizes. */
public final class PersistentVolumes {

    static final String DRIVER = Api.DRIVER_NAME;
    /**
     * The topology key the driver publishes for its node; external-provisioner copies the volume's accessible topology
     * into the PersistentVolume's required node affinity under this key.
     */
    public static final String NODE_KEY = Topology.NODE_KEY;
    /** Local volume ids are {@code local:<node>:<disk>:<name>}; NFS ids start {@code nfs#} and have no node. */
    private static final String LOCAL_PREFIX = "local:";

    private PersistentVolumes() {
    }

    public static boolean isOrdinal(PersistentVolume volume) {
        return volume.getSpec() != null && volume.getSpec().getCsi() != null
                && DRIVER.equals(volume.getSpec().getCsi().getDriver());
    }

    public static String handle(PersistentVolume volume) {
        return isOrdinal(volume) ? Optional.ofNullable(volume.getSpec().getCsi().getVolumeHandle()).orElse("") : "";
    }

    /** The ordinal the driver made the volume for (its volume context), when it recorded one. */
    public static Optional<OrdinalClaim> identity(PersistentVolume volume) {
        if (!isOrdinal(volume)) {
            return Optional.empty();
        }
        return VolumeIdentity.fromContext(attributes(volume)).map(identity -> OrdinalClaim.of(identity.namespace(),
                identity.statefulSet(), identity.claimTemplate(), identity.ordinal()));
    }

    /** Where a local volume lives: its node, and its disk when the volume id names it. */
    public record Location(String node, Optional<String> disk) {
    }

    /**
     * Node and disk from the id {@code local:<node>:<disk>:<name>}, else the node of its node affinity. Empty for a
     * volume without either (NFS): it lives on no node.
     */
    public static Optional<Location> location(PersistentVolume volume) {
        if (!isOrdinal(volume)) {
            return Optional.empty();
        }
        String[] id = localId(volume);
        if (id.length == 4 && !id[1].isEmpty() && !id[2].isEmpty()) {
            return Optional.of(new Location(id[1], Optional.of(id[2])));
        }
        return affinityNode(volume).map(node -> new Location(node, Optional.empty()));
    }

    /**
     * The node a local volume lives on: the node affinity's {@link #NODE_KEY}, else the node in its id. Empty for a
     * volume without node affinity: any node can reach it (NFS), so no node's loss takes it away.
     */
    public static Optional<String> node(PersistentVolume volume) {
        if (!isOrdinal(volume) || volume.getSpec().getNodeAffinity() == null
                || volume.getSpec().getNodeAffinity().getRequired() == null) {
            return Optional.empty();
        }
        Optional<String> node = affinityNode(volume);
        if (node.isPresent()) {
            return node;
        }
        String[] id = localId(volume);
        return id.length == 4 && !id[1].isEmpty() ? Optional.of(id[1]) : Optional.empty();
    }

    /** The volume context the driver recorded (the PV's volumeAttributes); empty for a volume of another driver. */
    public static Map<String, String> attributes(PersistentVolume volume) {
        return isOrdinal(volume) ? Optional.ofNullable(volume.getSpec().getCsi().getVolumeAttributes()).orElse(Map.of())
                : Map.of();
    }

    private static Optional<String> affinityNode(PersistentVolume volume) {
        if (volume.getSpec().getNodeAffinity() == null || volume.getSpec().getNodeAffinity().getRequired() == null) {
            return Optional.empty();
        }
        List<NodeSelectorTerm> terms = Optional.ofNullable(volume.getSpec().getNodeAffinity().getRequired()
                .getNodeSelectorTerms()).orElse(List.of());
        for (NodeSelectorTerm term : terms) {
            for (NodeSelectorRequirement requirement : Optional.ofNullable(term.getMatchExpressions()).orElse(List.of())) {
                if (NODE_KEY.equals(requirement.getKey()) && "In".equals(requirement.getOperator())
                        && requirement.getValues() != null && requirement.getValues().size() == 1) {
                    return Optional.of(requirement.getValues().getFirst());
                }
            }
        }
        return Optional.empty();
    }

    /** The parts of a local volume id {@code local:<node>:<disk>:<name>}; none for any other id. */
    private static String[] localId(PersistentVolume volume) {
        String handle = handle(volume);
        return handle.startsWith(LOCAL_PREFIX) ? handle.split(":", -1) : new String[0];
    }

    public static Size size(Quantity quantity) {
        if (quantity == null) {
            return Size.NONE;
        }
        BigDecimal bytes = Quantity.getAmountInBytes(quantity).setScale(0, RoundingMode.CEILING);
        long value = bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0 ? Long.MAX_VALUE : bytes.longValue();
        return new Size(value, quantity.toString());
    }
}
