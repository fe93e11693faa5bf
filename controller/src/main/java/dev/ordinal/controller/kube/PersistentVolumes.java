package dev.ordinal.controller.kube;

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
final class PersistentVolumes {

    static final String DRIVER = "ordinal.csi.dev";
    /**
     * The topology key the driver publishes for its node (allocator's {@code Topology.NODE_KEY}); external-provisioner
     * copies the volume's accessible topology into the PersistentVolume's required node affinity under this key.
     */
    static final String NODE_KEY = "topology.ordinal.csi.dev/node";
    /** Local volume ids are {@code local:<node>:<disk>:<name>}; NFS ids start {@code nfs#} and have no node. */
    private static final String LOCAL_PREFIX = "local:";

    private PersistentVolumes() {
    }

    static boolean isOrdinal(PersistentVolume volume) {
        return volume.getSpec() != null && volume.getSpec().getCsi() != null
                && DRIVER.equals(volume.getSpec().getCsi().getDriver());
    }

    static String handle(PersistentVolume volume) {
        return isOrdinal(volume) ? Optional.ofNullable(volume.getSpec().getCsi().getVolumeHandle()).orElse("") : "";
    }

    /** The ordinal the driver made the volume for (its volume context), when it recorded one. */
    static Optional<OrdinalClaim> identity(PersistentVolume volume) {
        if (!isOrdinal(volume)) {
            return Optional.empty();
        }
        Map<String, String> attributes = Optional.ofNullable(volume.getSpec().getCsi().getVolumeAttributes()).orElse(Map.of());
        String namespace = attributes.get(VolumeIdentity.NAMESPACE);
        String set = attributes.get(VolumeIdentity.STATEFUL_SET);
        String template = attributes.get(VolumeIdentity.TEMPLATE);
        String ordinal = attributes.get(VolumeIdentity.ORDINAL);
        if (namespace == null || set == null || template == null || ordinal == null || ordinal.isEmpty()
                || ordinal.length() > 9 || !ordinal.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        return Optional.of(OrdinalClaim.of(namespace, set, template, Integer.parseInt(ordinal)));
    }

    /**
     * The node a local volume lives on: the node affinity's {@link #NODE_KEY}, else the node in its id. Empty for a
     * volume without node affinity: any node can reach it (NFS), so no node's loss takes it away.
     */
    static Optional<String> node(PersistentVolume volume) {
        if (!isOrdinal(volume) || volume.getSpec().getNodeAffinity() == null
                || volume.getSpec().getNodeAffinity().getRequired() == null) {
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
        String handle = handle(volume);
        if (handle.startsWith(LOCAL_PREFIX)) {
            String[] parts = handle.split(":", -1);
            if (parts.length == 4 && !parts[1].isEmpty()) {
                return Optional.of(parts[1]);
            }
        }
        return Optional.empty();
    }

    static Size size(Quantity quantity) {
        if (quantity == null) {
            return Size.NONE;
        }
        BigDecimal bytes = Quantity.getAmountInBytes(quantity).setScale(0, RoundingMode.CEILING);
        long value = bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0 ? Long.MAX_VALUE : bytes.longValue();
        return new Size(value, quantity.toString());
    }
}
